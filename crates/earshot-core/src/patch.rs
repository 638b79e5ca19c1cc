//! Serde helper for PATCH-style fields: absent → `None` (leave it), `null` → `Some(None)`
//! (clear it), a value → `Some(Some(v))`.

use serde::{Deserialize, Deserializer};

pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
