//! Where Earshot may send what a workspace configures (a rule's webhook URL): not into the
//! network it runs in. Loopback, private, link-local (cloud metadata at `169.254.169.254`),
//! shared, unspecified, multicast and reserved addresses are refused — as written in the URL
//! (`127.0.0.1`, `[::1]`, `0x7f000001`, `::ffff:10.0.0.1`) and as a name resolves at send time,
//! on every connection (a resolver that drops such addresses, so a name that resolves to a
//! public address first and a private one later cannot reach in) — unless an admin allows the
//! host (`EARSHOT_WEBHOOK_ALLOWED_HOSTS`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address is not one Earshot sends to, if it is not.
pub fn refused_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_v4(v4);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if first & 0xfe00 == 0xfc00 {
                Some("a private (unique local) address")
            } else if first & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if first == 0x0064 && v6.segments()[1] == 0xff9b {
                // NAT64: the IPv4 address it embeds decides.
                let s = v6.segments();
                refused_v4(Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                ))
            } else {
                None
            }
        }
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address (cloud metadata lives there)")
    } else if ip.is_unspecified() || a == 0 {
        Some("the unspecified address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("a broadcast, multicast or reserved address")
    } else {
        None
    }
}

/// The hosts an admin allowed despite the rules above (names or addresses, as written in the
/// URL), from a comma-separated list.
#[derive(Debug, Clone, Default)]
pub struct Allowed(Arc<Vec<String>>);

impl Allowed {
    pub fn parse(list: &str) -> Self {
        Self(Arc::new(
            list.split(',')
                .map(|h| {
                    h.trim()
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_ascii_lowercase()
                })
                .filter(|h| !h.is_empty())
                .collect(),
        ))
    }

    fn allows(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.0.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

const HOW_TO_ALLOW: &str = "an admin can allow the host with EARSHOT_WEBHOOK_ALLOWED_HOSTS";

/// Checks `url` before anything is sent: its scheme, and its host if it is an address.
pub fn check_url(url: &str, allowed: &Allowed) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("`{url}` is not an http(s) URL"));
    }
    let host = parsed.host_str().unwrap_or("").to_string();
    if allowed.allows(&host) {
        return Ok(parsed);
    }
    let ip = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(d))
            if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") =>
        {
            Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
        }
        _ => None,
    };
    if let Some(why) = ip.and_then(refused_ip) {
        return Err(format!("refused: {host} is {why}; {HOW_TO_ALLOW}"));
    }
    Ok(parsed)
}

/// Resolves `host` and keeps only the addresses Earshot sends to; an error names why none is
/// left.
pub async fn resolve(host: &str, port: u16, allowed: &Allowed) -> Result<Vec<SocketAddr>, String> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| format!("the name {host} does not resolve"))?
        .collect();
    if allowed.allows(host) {
        return Ok(found);
    }
    let mut why = None;
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| match refused_ip(a.ip()) {
            Some(w) => {
                why = Some(w);
                false
            }
            None => true,
        })
        .collect();
    if kept.is_empty() {
        return Err(match why {
            Some(w) => format!("refused: {host} resolves to {w}; {HOW_TO_ALLOW}"),
            None => format!("the name {host} does not resolve"),
        });
    }
    Ok(kept)
}

/// reqwest's resolver with the check above on every connection.
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver(pub Allowed);

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let kept = resolve(&host, 0, &allowed)
                .await
                .map_err(|e| Box::new(Refused(e)) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_networks_inside_are_refused_written_any_way() {
        let none = Allowed::default();
        for url in [
            "http://127.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:22/",
            "http://[::1]:6379/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/",
            "http://172.16.5.4/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://[64:ff9b::a9fe:a9fe]/",
        ] {
            let e = check_url(url, &none).unwrap_err();
            assert!(e.starts_with("refused:"), "{url}: {e}");
            assert!(e.contains("EARSHOT_WEBHOOK_ALLOWED_HOSTS"), "{e}");
        }
        assert!(check_url("ftp://example.com/", &none).is_err());
        assert!(check_url("https://hooks.example.com/x", &none).is_ok());
        assert!(check_url("http://8.8.8.8/", &none).is_ok());
        assert!(check_url("http://[2001:4860::8888]/", &none).is_ok());
        let allowed = Allowed::parse(" 127.0.0.1 , [::1]");
        assert!(check_url("http://127.0.0.1:9000/hook", &allowed).is_ok());
        assert!(check_url("http://[::1]:9000/hook", &allowed).is_ok());
        assert!(check_url("http://10.0.0.1/", &allowed).is_err());
    }

    #[tokio::test]
    async fn a_name_resolving_inside_is_refused_unless_allowed() {
        let e = resolve("localhost", 80, &Allowed::default())
            .await
            .unwrap_err();
        assert!(e.contains("resolves to a loopback address"), "{e}");
        let ok = resolve("localhost", 80, &Allowed::parse("localhost"))
            .await
            .unwrap();
        assert!(!ok.is_empty());
        let e = resolve("no-such-host.invalid", 80, &Allowed::default())
            .await
            .unwrap_err();
        assert!(e.contains("does not resolve"), "{e}");
    }
}
