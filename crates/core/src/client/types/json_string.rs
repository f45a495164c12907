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

/// Like [`deserialize`], but a string that is not JSON gives the default instead of an error.
/// The real manager (26.9.6) sends `GET /session/{id}` slot maps as Python reprs
/// (`"{'cpu': Decimal('1.000000')}"`), which must not fail the whole answer.
pub fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => serde_json::from_str(&s).unwrap_or_default(),
        serde_json::Value::Null => T::default(),
        other => serde_json::from_value(other).unwrap_or_default(),
    })
}

/// An optional string where Python's `"None"` (what `str(None)` gives) means absent.
pub fn python_optional<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<String>::deserialize(d)?.filter(|s| s != "None"))
}
