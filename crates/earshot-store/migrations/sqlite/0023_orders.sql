-- The customer's orders from the brand's shop (a file, the API, Shopify's webhooks), matched
-- to a contact through the buyer's email address, phone number or the shop's customer id.
-- amount_minor is the total in the currency's minor unit, never a float. The contact's value
-- (lifetime value in the workspace's main currency) and, unless typed by hand, its tier are
-- derived from its orders (value_source / tier_source = 'orders'). Merges move a contact's
-- orders and remember which rows moved, so an undo moves them back.
CREATE TABLE orders (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id    INTEGER REFERENCES contacts(id),
    external_id   TEXT    NOT NULL,
    number        TEXT,
    number_key    TEXT,
    email         TEXT,
    phone         TEXT,
    customer_ref  TEXT,
    placed_at     BIGINT  NOT NULL,
    amount_minor  BIGINT  NOT NULL,
    currency      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    items         TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    updated_at    BIGINT  NOT NULL,
    received_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, external_id)
);
CREATE INDEX orders_by_contact ON orders (contact_id, placed_at) WHERE contact_id IS NOT NULL;
CREATE INDEX orders_by_number ON orders (workspace_id, number_key) WHERE number_key IS NOT NULL;
CREATE INDEX orders_by_email ON orders (workspace_id, email) WHERE email IS NOT NULL;
CREATE INDEX orders_by_phone ON orders (workspace_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX orders_by_customer_ref ON orders (workspace_id, customer_ref) WHERE customer_ref IS NOT NULL;
ALTER TABLE contacts ADD COLUMN value_source TEXT;
ALTER TABLE contacts ADD COLUMN tier_source TEXT;
ALTER TABLE contact_merges ADD COLUMN orders TEXT NOT NULL DEFAULT '[]';
-- The currency contact values are in: the one most of the workspace's counting orders use,
-- chosen at the first orders and again at every full recomputation.
ALTER TABLE workspaces ADD COLUMN order_currency TEXT;
-- The VIP line (the top 5 % of values from orders) is read along this index.
CREATE INDEX contacts_by_order_value ON contacts (workspace_id, value) WHERE value_source = 'orders';
