//! Fields that GraphQL (and some REST answers) send as a JSON *string* holding JSON, e.g.
//! `service_ports: "[{\"name\": ...}]"`. These deserializers accept the string form, the
//! plain JSON form and null (→ default).

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};

pub fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let v = serde_json::Value::deserialize(d)?;
    match v {
        serde_json::Value::Null => Ok(T::default()),
        serde_json::Value::String(s) if s.trim().is_empty() || s.trim() == "null" => {
            Ok(T::default())
        }
        serde_json::Value::String(s) => serde_json::from_str(&s)
            .map_err(|e| D::Error::custom(format!("a JSON-encoded field does not parse: {e}"))),
        other => serde_json::from_value(other).map_err(D::Error::custom),
    }
}
