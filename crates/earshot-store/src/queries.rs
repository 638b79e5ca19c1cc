//! Dynamically built SQL (`$N` placeholders work on SQLite too): the bind values, the
//! builder, and the inbox list query both databases run.

/// A bind value for dynamically built queries.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    I64(i64),
    I32(i32),
    Text(String),
    Bool(bool),
    OptI64(Option<i64>),
    OptI32(Option<i32>),
    OptText(Option<String>),
    OptF64(Option<f64>),
}

/// SQL text with `$N` placeholders numbered as values are pushed.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }
}

/// Cuts a fetched inbox page (the query asks for one row more than the limit) and sets the
/// cursor of the next page when there is one.
pub(crate) fn conversation_page(
    mut items: Vec<earshot_core::Conversation>,
    limit: u32,
) -> earshot_core::store::Page<earshot_core::Conversation> {
    use earshot_core::store::{clamp_limit, ConversationCursor};
    let limit = clamp_limit(limit) as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|c| ConversationCursor::of(c).encode())
    } else {
        None
    };
    earshot_core::store::Page { items, next_cursor }
}

/// The inbox query: filters, keyset cursor and order, shared by both databases.
pub(crate) fn conversation_list_sql(
    columns: &str,
    ws: earshot_core::WorkspaceId,
    q: &earshot_core::store::ConversationQuery,
) -> Sql {
    use earshot_core::store::AssigneeFilter;
    // A customer's conversations are few: look them up by contact, not along the inbox order
    // of the whole workspace (the unary `+` keeps SQLite off the workspace indexes).
    let workspace = if q.contact.is_some() {
        "+c.workspace_id"
    } else {
        "c.workspace_id"
    };
    let mut sql = Sql::new(&format!(
        "SELECT {columns} FROM conversations c JOIN channels ch ON ch.id = c.channel_id WHERE {workspace} = "
    ));
    sql.bind(Bind::I64(ws.0));
    if let Some(status) = q.status {
        sql.push(" AND c.status = ")
            .bind(Bind::Text(status.as_str().into()));
    }
    if let Some(kind) = q.channel {
        sql.push(" AND ch.kind = ")
            .bind(Bind::Text(kind.as_str().into()));
    }
    match q.assignee {
        Some(AssigneeFilter::Agent(a)) => {
            sql.push(" AND c.assignee_id = ").bind(Bind::I64(a.0));
        }
        Some(AssigneeFilter::Unassigned) => {
            sql.push(" AND c.assignee_id IS NULL");
        }
        None => {}
    }
    if let Some(since) = q.updated_since {
        sql.push(" AND c.updated_at >= ")
            .bind(Bind::I64(since.timestamp_millis()));
    }
    if let Some(contact) = q.contact {
        sql.push(" AND c.contact_id = ").bind(Bind::I64(contact.0));
    }
    if let Some(team) = q.team {
        sql.push(" AND c.team_id = ").bind(Bind::I64(team.0));
    }
    if let Some(sentiment) = &q.sentiment {
        sql.push(" AND c.sentiment = ")
            .bind(Bind::Text(sentiment.clone()));
    }
    if let Some(intent) = &q.intent {
        // The intents column is a JSON array of names: match the quoted name.
        let quoted = serde_json::to_string(intent).expect("a string serializes");
        sql.push(" AND c.intents LIKE ")
            .bind(Bind::Text(format!("%{quoted}%")));
    }
    if let Some(tag) = &q.tag {
        sql.push(" AND EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = ")
            .bind(Bind::Text(tag.clone()));
        sql.push(")");
    }
    if let Some(topic) = q.topic {
        sql.push(
            " AND EXISTS (SELECT 1 FROM messages m JOIN message_topics mt ON mt.message_id = m.id \
             WHERE m.conversation_id = c.id AND mt.topic_id = ",
        )
        .bind(Bind::I64(topic.0));
        sql.push(")");
    }
    if let Some(after) = q.after {
        sql.push(" AND (c.priority < ")
            .bind(Bind::I32(after.priority));
        sql.push(" OR (c.priority = ")
            .bind(Bind::I32(after.priority));
        sql.push(" AND (c.waiting_key > ")
            .bind(Bind::I64(after.waiting_key));
        sql.push(" OR (c.waiting_key = ")
            .bind(Bind::I64(after.waiting_key));
        sql.push(" AND c.id > ").bind(Bind::I64(after.id.0));
        sql.push("))))");
    }
    sql.push(" ORDER BY c.priority DESC, c.waiting_key ASC, c.id ASC LIMIT ");
    sql.bind(Bind::I64(earshot_core::store::clamp_limit(q.limit) + 1));
    sql
}
