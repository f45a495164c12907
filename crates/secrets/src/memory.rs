//! An in-memory [`SecretStore`] for unit tests and for "nothing stored" one-off use.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::Error;
use crate::secret::Secret;
use crate::store::{SecretRef, SecretStore};

#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<SecretRef, Secret>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<SecretRef, Secret>> {
        // A panic while holding the lock cannot leave the map half-written (every operation
        // is a single insert/remove), so a poisoned lock is still safe to use.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn set(&self, at: &SecretRef, value: &Secret) -> Result<(), Error> {
        self.entries().insert(at.clone(), value.clone());
        Ok(())
    }

    fn get(&self, at: &SecretRef) -> Result<Option<Secret>, Error> {
        Ok(self.entries().get(at).cloned())
    }

    fn delete(&self, at: &SecretRef) -> Result<(), Error> {
        self.entries().remove(at);
        Ok(())
    }

    fn list(&self) -> Result<Vec<SecretRef>, Error> {
        Ok(self.entries().keys().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SecretKind;

    #[test]
    fn set_get_delete_and_list() {
        let store = MemoryStore::new();
        let a = SecretRef::new("p1", SecretKind::SecretKey);
        let b = SecretRef::new("p1", SecretKind::Password);
        let c = SecretRef::new("p2", SecretKind::SecretKey);
        assert_eq!(store.get(&a).expect("get"), None);
        store.set(&a, &Secret::new("one")).expect("set");
        store.set(&b, &Secret::new("two")).expect("set");
        store.set(&c, &Secret::new("three")).expect("set");
        store.set(&a, &Secret::new("one-again")).expect("replace");
        assert_eq!(
            store.get(&a).expect("get").expect("present").expose(),
            "one-again"
        );
        assert_eq!(
            store.list().expect("list"),
            vec![a.clone(), b.clone(), c.clone()]
        );
        store.delete_profile("p1").expect("delete profile");
        assert_eq!(store.list().expect("list"), vec![c.clone()]);
        store.delete(&c).expect("delete");
        store.delete(&c).expect("deleting a missing secret is fine");
        assert!(store.list().expect("list").is_empty());
    }
}
