//! The web UI's pages as a browser gets them (a session cookie, forms), and the customer's
//! preference page, opened from its signed link.

use super::{with_query, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use std::fmt::Display;
use tower::ServiceExt;

/// A page's answer: the status, where it redirects, the cookie it sets, the body.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub cookie: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
}

// Any page.

impl TestApp {
    /// A request as a browser makes it: the session cookie (if any), a form (if any).
    pub async fn browse(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        form: Option<&str>,
    ) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        if form.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request
            .body(Body::from(form.unwrap_or("").to_string()))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let header_of = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().unwrap().to_string())
        };
        let (location, cookie) = (header_of(header::LOCATION), header_of(header::SET_COOKIE));
        let retry_after = header_of(header::RETRY_AFTER);
        let status = response.status();
        let body = String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap();
        Page {
            status,
            location,
            cookie,
            retry_after,
            body,
        }
    }
}

// Signing in and out.

impl TestApp {
    /// GET /
    pub async fn home(&self, cookie: Option<&str>) -> Page {
        self.browse(Method::GET, "/", cookie, None).await
    }
    /// GET /login
    pub async fn login_page(&self) -> Page {
        self.browse(Method::GET, "/login", None, None).await
    }
    /// POST /login
    pub async fn log_in(&self, form: &str) -> Page {
        self.browse(Method::POST, "/login", None, Some(form)).await
    }
    /// POST /login with the test password: the session cookie.
    pub async fn sign_in(&self, email: &str) -> String {
        let form = format!(
            "email={}&password=a+long+password",
            email.replace('@', "%40")
        );
        let r = self.log_in(&form).await;
        r.cookie.unwrap().split(';').next().unwrap().to_string()
    }
    /// A new person of the `acme` workspace with the test password (`role`: admin or
    /// agent), signed in: their session cookie.
    pub async fn signed_in_person(&self, email: &str, name: &str, role: &str) -> String {
        let ws = self
            .state
            .store
            .workspace_by_name("acme")
            .await
            .unwrap()
            .unwrap();
        let hash = earshot_core::auth::hash_password("a long password");
        self.state
            .store
            .create_user(ws.id, email, name, role, None, &hash)
            .await
            .unwrap();
        self.sign_in(email).await
    }
    /// POST /logout
    pub async fn log_out(&self, cookie: &str, form: &str) -> Page {
        self.browse(Method::POST, "/logout", Some(cookie), Some(form))
            .await
    }
}

// The inbox, a conversation, the dashboard.

impl TestApp {
    /// GET /inbox?{query}
    pub async fn inbox(&self, cookie: &str, query: &str) -> Page {
        self.browse(
            Method::GET,
            &with_query("/inbox", query),
            Some(cookie),
            None,
        )
        .await
    }
    /// GET /c/{id}
    pub async fn conversation_page(&self, cookie: &str, id: impl Display) -> Page {
        self.browse(Method::GET, &format!("/c/{id}"), Some(cookie), None)
            .await
    }
    /// GET /c/{id}?find={find}: the page with customers found by `find`.
    pub async fn find_customer(&self, cookie: &str, id: impl Display, find: &str) -> Page {
        self.browse(
            Method::GET,
            &format!("/c/{id}?find={find}"),
            Some(cookie),
            None,
        )
        .await
    }
    /// POST /c/{id}/{action}: a conversation page form (`reply`, `assign`, `merge`, `erase`…)
    pub async fn conversation_form(
        &self,
        cookie: &str,
        id: impl Display,
        action: &str,
        form: &str,
    ) -> Page {
        self.browse(
            Method::POST,
            &format!("/c/{id}/{action}"),
            Some(cookie),
            Some(form),
        )
        .await
    }
    /// GET /dashboard?{query}
    pub async fn dashboard(&self, cookie: &str, query: &str) -> Page {
        self.browse(
            Method::GET,
            &with_query("/dashboard", query),
            Some(cookie),
            None,
        )
        .await
    }
}

// Settings.

impl TestApp {
    /// GET /settings/{section}
    pub async fn settings_page(&self, cookie: &str, section: &str) -> Page {
        self.browse(
            Method::GET,
            &format!("/settings/{section}"),
            Some(cookie),
            None,
        )
        .await
    }
    /// POST /settings/{section}: a settings form (`people`, `rules/{id}`, `channels/{id}/test`…)
    pub async fn settings_form(&self, cookie: &str, section: &str, form: &str) -> Page {
        self.browse(
            Method::POST,
            &format!("/settings/{section}"),
            Some(cookie),
            Some(form),
        )
        .await
    }
    /// GET /settings/topics/check?query={query}: a topic query checked as it is typed.
    pub async fn check_topic(&self, cookie: &str, query: &str) -> Page {
        self.browse(
            Method::GET,
            &format!("/settings/topics/check?query={query}"),
            Some(cookie),
            None,
        )
        .await
    }
}

// The customer's preference page: `url` is the signed link's (`/preferences/{token}`).

impl TestApp {
    /// GET /preferences/{token}
    pub async fn preference_page(&self, url: &str) -> (StatusCode, String) {
        self.raw(Method::GET, url, &[], Vec::new()).await
    }
    /// POST /preferences/{token}: the page's form.
    pub async fn save_preferences(&self, url: &str, form: &str) -> (StatusCode, String) {
        let headers = vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        self.raw(Method::POST, url, &headers, form.as_bytes().to_vec())
            .await
    }
}

/// A page's CSRF token (every form carries it).
pub fn csrf_of(body: &str) -> String {
    body.split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("a form with a CSRF token")
        .split('"')
        .next()
        .unwrap()
        .to_string()
}
