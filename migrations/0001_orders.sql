CREATE TABLE app.orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES app.customers(id),
    amount      numeric(12,2) NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}'
);
