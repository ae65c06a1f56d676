//! Names of the worker's bindings, as declared in `wrangler.toml`, in one place.

/// The KV namespace that holds every shop's product availability.
pub const KV: &str = "BACKORDER_KV";

/// The secret bearer token that the merchant's back office uses to write.
pub const ADMIN_TOKEN: &str = "ADMIN_TOKEN";
