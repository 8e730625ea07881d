//! uid → user name, cached. Backed by sysinfo's user list (which reads the passwd database);
//! refreshed at most once a minute when an unknown uid shows up.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub struct UserNames {
    names: HashMap<u32, String>,
    refreshed: Option<Instant>,
}

const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(60);

impl Default for UserNames {
    fn default() -> Self {
        Self::new()
    }
}

impl UserNames {
    pub fn new() -> Self {
        UserNames {
            names: HashMap::new(),
            refreshed: None,
        }
    }

    fn refresh(&mut self) {
        // A passwd database we cannot read leaves names as numbers, which is still correct.
        if let Ok(users) = sysinfo::Users::new_with_refreshed_list() {
            self.names = Vec::<sysinfo::User>::from(users)
                .iter()
                .map(|u| (**u.id(), u.name().to_string()))
                .collect();
        }
        self.refreshed = Some(Instant::now());
    }

    /// The name, or the number as text when the passwd database does not know the uid.
    pub fn name(&mut self, uid: u32) -> Option<String> {
        if !self.names.contains_key(&uid)
            && self
                .refreshed
                .is_none_or(|t| t.elapsed() >= REFRESH_AT_MOST_EVERY)
        {
            self.refresh();
        }
        Some(
            self.names
                .get(&uid)
                .cloned()
                .unwrap_or_else(|| uid.to_string()),
        )
    }
}
