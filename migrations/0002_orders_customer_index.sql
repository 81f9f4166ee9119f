CREATE INDEX orders_customer_idx ON app.orders (customer_id);
