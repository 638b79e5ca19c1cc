-- Matching an order by its shop customer id reads only the contacts that customer's other
-- orders went to: covered by the index, however many orders a busy customer placed.
DROP INDEX orders_by_customer_ref;
CREATE INDEX orders_by_customer ON orders (workspace_id, customer_ref, contact_id) WHERE customer_ref IS NOT NULL;
