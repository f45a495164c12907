//! Resource amounts (`cpu=2`, `mem=4g`, `cuda.shares=0.5`): the one parser both front ends use,
//! for `bai launch --cpu/--mem/--gpu`, `bai profile add/edit --resource` and the app's forms.
//!
//! - `cpu` and every other count slot (`cuda.device`, `cuda.shares`, ...): a positive number.
//! - `mem`: a size with a unit (`512m`, `4g`, `1.5g`, `4GiB`). A bare number is MiB, as the
//!   official `backend.ai` CLI reads `--mem` (the manager itself would read bytes, so `4` must
//!   never go out bare: it is sent as `4m`).
//!
//! Amounts are kept as normalised text (in profiles) and sent with [`slot_json`].

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::error::{Error, Result};

/// What a memory amount may look like, for error messages.
pub const MEM_FORMS: &str = "a size with a unit such as 512m, 4g or 1.5g (k, m, g, t; \"GiB\" and \"GB\" also read as binary units), or a bare number of MiB";
/// What any other amount may look like, for error messages.
pub const COUNT_FORMS: &str = "a positive number such as 2 or 0.5";

/// Check one slot's amount and return it normalised (`" 4GiB "` → `"4g"`, `"2.0"` → `"2"`).
/// The error names the slot, the value and the accepted forms.
pub fn parse_slot(key: &str, value: &str) -> Result<String> {
    let key = parse_key(key)?;
    let v = value.trim();
    let bad = |forms: &str| Error::InvalidInput {
        field: format!("resource {key}"),
        reason: format!("{value:?} is not an amount {key} accepts; expected {forms}"),
    };
    if key == "mem" {
        memory(v).ok_or_else(|| bad(MEM_FORMS))
    } else {
        positive(v)
            .map(format_number)
            .ok_or_else(|| bad(COUNT_FORMS))
    }
}

/// Whether a slot is an accelerator's (a GPU, NPU, TPU, ...): every slot but the CPU, memory
/// and shared memory ones. Such a session holds costly hardware while it runs.
pub fn is_accelerator_slot(name: &str) -> bool {
    !matches!(name, "cpu" | "mem" | "shmem" | "shared_memory")
}

/// A slot name: lower-case letters, digits, `.`, `_` and `-` (`cpu`, `mem`, `cuda.shares`).
pub fn parse_key(key: &str) -> Result<String> {
    let k = key.trim().to_ascii_lowercase();
    let ok = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(k)
    } else {
        Err(Error::InvalidInput {
            field: "resource slot".into(),
            reason: format!(
                "{key:?} is not a slot name; expected a name such as cpu, mem or cuda.shares"
            ),
        })
    }
}

/// Parse `SLOT=AMOUNT`. An empty amount (`mem=`) means "remove this slot" and gives `None`.
pub fn parse_assignment(pair: &str) -> Result<(String, Option<String>)> {
    let Some((k, v)) = pair.split_once('=') else {
        return Err(Error::InvalidInput {
            field: "resource".into(),
            reason: format!("{pair:?} should be SLOT=AMOUNT, e.g. cpu=2 or mem=4g"),
        });
    };
    let key = parse_key(k)?;
    if v.trim().is_empty() {
        return Ok((key, None));
    }
    let amount = parse_slot(&key, v)?;
    Ok((key, Some(amount)))
}

/// Apply `SLOT=AMOUNT` pairs to `base` in order: each sets its slot (a later one for the same
/// slot wins), `SLOT=` removes it, and the other slots are kept. Nothing changes on an error.
pub fn merge(
    base: &BTreeMap<String, String>,
    pairs: &[String],
) -> Result<BTreeMap<String, String>> {
    let mut out = base.clone();
    for p in pairs {
        match parse_assignment(p)? {
            (k, Some(v)) => {
                out.insert(k, v);
            }
            (k, None) => {
                out.remove(&k);
            }
        }
    }
    Ok(out)
}

/// Check a whole set (a profile's quick-start resources) and return it normalised.
pub fn validate_all(set: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    set.iter()
        .map(|(k, v)| Ok((parse_key(k)?, parse_slot(k, v)?)))
        .collect()
}

/// A normalised amount as the API takes it: `cpu` and whole counts as JSON numbers, `mem` as a
/// size string, fractional accelerator shares as a decimal string (as the web UI sends them).
pub fn slot_json(key: &str, amount: &str) -> Value {
    if key == "mem" {
        return json!(amount);
    }
    match amount.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v < 1e15 => json!(v as u64),
        Ok(v) if key == "cpu" => json!(v),
        _ => json!(amount),
    }
}

/// An amount the server wrote (a resource preset's slot), as a create call takes it back: the
/// forms of [`slot_json`], so a preset's `"2"` and `2` leave as the same `2`. Memory stays
/// text in bytes: the server writes memory in bytes, and the manager reads a bare number of
/// `mem` as bytes (it must not go through [`parse_slot`], which reads a person's bare `4` as
/// MiB). Anything else that is not a plain number (`"Infinity"`, `"4g"`) is passed on as text
/// for the server to judge.
pub fn server_amount_json(key: &str, v: &Value) -> Value {
    let text = match v {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    };
    let number = text
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0);
    if key == "mem" {
        // `4294967296`, `4294967296.0` and `"4294967296"` are the same bytes.
        let bytes = text.parse::<u64>().ok().or_else(|| {
            number
                .filter(|n| n.fract() == 0.0 && *n < 1e18)
                .map(|n| n as u64)
        });
        return json!(bytes.map(|b| b.to_string()).unwrap_or(text));
    }
    match number {
        Some(n) => slot_json(key, &format_number(n)),
        None => json!(text),
    }
}

/// An amount as a number in the slot's own unit (bytes for `mem`), to compare a request with
/// what the server says is left: numbers and numeric text as they are (`"Infinity"` too),
/// `mem` sizes with a unit (`4g`, as [`parse_slot`] writes them) in bytes, binary as the
/// manager reads them. None for what cannot be read.
pub fn amount(key: &str, v: &Value) -> Option<f64> {
    let text = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => return n.as_f64(),
        _ => return None,
    };
    if let Ok(n) = text.parse::<f64>() {
        return Some(n).filter(|n| !n.is_nan());
    }
    if key != "mem" {
        return None;
    }
    let normal = memory(&text)?;
    let (num, unit) = normal.split_at(normal.len() - 1);
    let power = "kmgtp".find(unit)? as i32 + 1;
    Some(num.parse::<f64>().ok()? * 1024f64.powi(power))
}

/// Every slot of `set` as the API takes it.
pub fn to_api(set: &BTreeMap<String, String>) -> Result<BTreeMap<String, Value>> {
    set.iter()
        .map(|(k, v)| {
            // The checked name (`" CPU "` → `cpu`), so a form's stray blank is not a new slot.
            let key = parse_key(k)?;
            let amount = parse_slot(&key, v)?;
            let value = slot_json(&key, &amount);
            Ok((key, value))
        })
        .collect()
}

fn positive(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v < 1e15 {
        format!("{}", v as u64)
    } else {
        format!("{v}")
    }
}

fn memory(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase().replace('_', "");
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t)
        .trim_end();
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let num = num.trim();
    if !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v = positive(num)?;
    match unit {
        "" => Some(format!("{}m", format_number(v))),
        "k" | "m" | "g" | "t" | "p" => Some(format!("{}{unit}", format_number(v))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn amounts_compare_in_the_slot_unit() {
        assert_eq!(amount("mem", &json!("4g")), Some(4.0 * (1u64 << 30) as f64));
        assert_eq!(amount("mem", &json!("512m")), Some((512u64 << 20) as f64));
        assert_eq!(
            amount("mem", &json!("4294967296")),
            Some((4u64 << 30) as f64)
        );
        assert_eq!(amount("cpu", &json!(2)), Some(2.0));
        assert_eq!(amount("cpu", &json!("Infinity")), Some(f64::INFINITY));
        assert_eq!(amount("cpu", &json!("lots")), None);
    }

    #[test]
    fn memory_forms() {
        for (input, want) in [
            ("4g", "4g"),
            ("4G", "4g"),
            ("4GiB", "4g"),
            ("4 GB", "4g"),
            ("512MiB", "512m"),
            (" 1.5G ", "1.5g"),
            ("4", "4m"),
            ("1.5", "1.5m"),
            ("1_024", "1024m"),
        ] {
            assert_eq!(parse_slot("mem", input).expect(input), want, "{input}");
        }
    }

    #[test]
    fn a_bad_memory_amount_names_the_key_the_value_and_the_forms() {
        for bad in ["banana", "", "g", "4x", "-1g", "0", "1e9", "4gg", "-4"] {
            let e = parse_slot("mem", bad).expect_err(bad);
            assert_eq!(e.code(), "invalid-input", "{bad}");
            let msg = e.to_string();
            assert!(msg.contains("resource mem"), "{msg}");
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            assert!(msg.contains("512m, 4g"), "{msg}");
        }
    }

    #[test]
    fn counts_must_be_positive_numbers() {
        assert_eq!(parse_slot("cpu", "2").expect("2"), "2");
        assert_eq!(parse_slot("CPU", " 2.0 ").expect("2.0"), "2");
        assert_eq!(parse_slot("cuda.shares", "0.5").expect("0.5"), "0.5");
        for bad in ["-1", "0", "two", "inf", "NaN", ""] {
            let e = parse_slot("cpu", bad).expect_err(bad);
            let msg = e.to_string();
            assert!(msg.contains("resource cpu"), "{msg}");
            assert!(msg.contains("positive number"), "{msg}");
        }
        assert_eq!(
            parse_slot("c p u", "1").expect_err("key").code(),
            "invalid-input"
        );
    }

    #[test]
    fn merge_keeps_other_slots_and_a_later_value_wins() {
        let base = map(&[("cpu", "1"), ("mem", "2g")]);
        let merged = merge(
            &base,
            &["mem=4g".into(), "cuda.shares=0.5".into(), "mem=8g".into()],
        )
        .expect("valid");
        assert_eq!(
            merged,
            map(&[("cpu", "1"), ("mem", "8g"), ("cuda.shares", "0.5")])
        );
        let removed = merge(&merged, &["cuda.shares=".into()]).expect("remove");
        assert_eq!(removed, map(&[("cpu", "1"), ("mem", "8g")]));
        let e = merge(&base, &["cpu=4".into(), "mem=banana".into()]).expect_err("bad");
        assert!(e.to_string().contains("banana"), "{e}");
        assert_eq!(
            merge(&base, &["cpu".into()]).expect_err("no =").code(),
            "invalid-input"
        );
    }

    #[test]
    fn api_values() {
        let api = to_api(&map(&[
            ("cpu", "2"),
            ("mem", "4g"),
            ("cuda.shares", "0.5"),
            ("cuda.device", "1"),
        ]))
        .expect("valid");
        assert_eq!(api["cpu"], json!(2));
        assert_eq!(api["mem"], json!("4g"));
        assert_eq!(api["cuda.shares"], json!("0.5"));
        assert_eq!(api["cuda.device"], json!(1));
        assert_eq!(slot_json("cpu", "0.5"), json!(0.5));
        assert!(to_api(&map(&[("mem", "banana")])).is_err());
        let named = to_api(&map(&[(" CPU ", "2"), ("Mem", "4GiB")])).expect("names");
        assert_eq!(
            named,
            BTreeMap::from([("cpu".into(), json!(2)), ("mem".into(), json!("4g"))])
        );
    }

    #[test]
    fn server_amounts_leave_in_one_form_whether_written_as_text_or_numbers() {
        for (key, a, b, want) in [
            ("cpu", json!("2"), json!(2.0), json!(2)),
            ("cpu", json!("0.5"), json!(0.5), json!(0.5)),
            ("cuda.shares", json!("0.5"), json!(0.5), json!("0.5")),
            ("cuda.device", json!("1"), json!(1), json!(1)),
            (
                "mem",
                json!("4294967296"),
                json!(4294967296u64),
                json!("4294967296"),
            ),
            (
                "mem",
                json!("4294967296.0"),
                json!(4294967296.0),
                json!("4294967296"),
            ),
        ] {
            assert_eq!(server_amount_json(key, &a), want, "{key} {a}");
            assert_eq!(server_amount_json(key, &b), want, "{key} {b}");
        }
        // Not plain numbers: on as text, never null and never read as MiB.
        assert_eq!(server_amount_json("mem", &json!("4g")), json!("4g"));
        assert_eq!(
            server_amount_json("cpu", &json!("Infinity")),
            json!("Infinity")
        );
    }
}
