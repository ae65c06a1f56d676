//! Names of the worker's bindings, as declared in `wrangler.toml`, in one place.

/// The KV namespace that holds what is read often and publicly: product
/// availability, the shops' delivery history copies, order status views.
pub const KV: &str = "BACKORDER_KV";

/// The secret bearer token of whoever runs the edge: it creates shops and
/// can do nothing else.
pub const OPERATOR_TOKEN: &str = "OPERATOR_TOKEN";

/// One Durable Object per shop: its credentials, settings and records.
pub const SHOPS: &str = "SHOPS";

/// One Durable Object per order: the lifecycle's shell.
pub const ORDERS: &str = "ORDERS";

/// The queue of slow work: emails and outbound webhooks.
pub const JOBS: &str = "JOBS";

/// The queue of restock and delay fan-out to waiting orders.
pub const FANOUT: &str = "FANOUT";

/// The dead-letter queue of both queues: a job lands there once its queue's
/// own retries ran out (`wrangler.toml`); its consumer keeps it in its shop.
pub const DEAD_LETTER_QUEUE: &str = "backorder-jobs-dead";
