//! Live sessions remembered for a moment, so an authenticated request does not ask the database
//! whether its session still holds when the same session asked a moment ago: most requests of a
//! busy client then run no statement for their credentials at all.
//!
//! What keeps a remembered session honest:
//! - It is forgotten the moment this instance delivers any notice on the user's
//!   `Topic::Credentials`: a session or API key ended (`auth::live::CredentialsEnded`) or the
//!   account row changed (`AccountChanged`). The instance that made the change publishes it
//!   after its commit and before it answers, so that instance never serves the old state; other
//!   instances forget when the notice arrives through Redis.
//! - While the Redis subscription is down, notices from other instances may be lost, so nothing
//!   is recalled (every request asks the database) until it is back; then everything is
//!   forgotten, since what was missed is unknown.
//! - An entry lives `SESSION_MEMO_MS` at most, which bounds what a lost notice (or a change made
//!   outside the application) can leave stale.
//! - A lookup that started before a forget does not remember its answer (the epoch), so a read
//!   racing a revocation cannot bring the ended session back.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    auth::account::User,
    events::{bus::DeliveryObserver, BusEvent, Topic},
};

/// Sessions remembered at once; past it, expired entries go, and if none had, all do.
const REMEMBERED_SESSIONS: usize = 16_384;

/// Published after the commit that changed a user row (profile, password, platform role), on
/// `Topic::Credentials(user)`: every instance forgets the user's remembered sessions, so no
/// request runs with the old row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChanged {
    pub account_changed: Uuid,
}

impl AccountChanged {
    pub fn into_event(self) -> BusEvent {
        BusEvent::notice(Topic::Credentials(self.account_changed), &self)
            .expect("a struct of one id always serializes")
    }
}

pub struct SessionMemo {
    lifetime: Duration,
    /// The Redis subscription's state (`None` without Redis, where every notice is local).
    subscription: Option<watch::Receiver<bool>>,
    remembered: Mutex<Remembered>,
}

#[derive(Default)]
struct Remembered {
    /// Moves on every forget; a lookup remembers its answer only if it has not moved since.
    epoch: u64,
    sessions: HashMap<Uuid, RememberedSession>,
}

struct RememberedSession {
    user: User,
    session_expires_at: DateTime<Utc>,
    forget_at: Instant,
}

/// Taken before a database lookup, handed back with its answer (`SessionMemo::remember`).
#[derive(Debug, Clone, Copy)]
pub struct LookupEpoch(u64);

impl SessionMemo {
    /// A `lifetime` of zero remembers nothing.
    pub fn new(lifetime: Duration, subscription: Option<watch::Receiver<bool>>) -> Self {
        SessionMemo {
            lifetime,
            subscription,
            remembered: Mutex::new(Remembered::default()),
        }
    }

    fn trusted(&self) -> bool {
        !self.lifetime.is_zero()
            && self
                .subscription
                .as_ref()
                .is_none_or(|subscribed| *subscribed.borrow())
    }

    /// The user of `session_id` if it was found live a moment ago, for that same user.
    pub fn recall(&self, session_id: Uuid, user_id: Uuid) -> Option<User> {
        if !self.trusted() {
            return None;
        }
        let remembered = self.remembered.lock().ok()?;
        let session = remembered.sessions.get(&session_id)?;
        let live = session.forget_at > Instant::now()
            && session.user.id == user_id
            && session.session_expires_at > Utc::now();
        live.then(|| session.user.clone())
    }

    /// Taken before asking the database; `None` when the answer must not be remembered.
    pub fn lookup_epoch(&self) -> Option<LookupEpoch> {
        if !self.trusted() {
            return None;
        }
        let remembered = self.remembered.lock().ok()?;
        Some(LookupEpoch(remembered.epoch))
    }

    /// Remembers a session the database found live, unless something was forgotten since the
    /// lookup began.
    pub fn remember(
        &self,
        lookup: LookupEpoch,
        session_id: Uuid,
        user: &User,
        session_expires_at: DateTime<Utc>,
    ) {
        let Ok(mut remembered) = self.remembered.lock() else {
            return;
        };
        if remembered.epoch != lookup.0 {
            return;
        }
        let now = Instant::now();
        if remembered.sessions.len() >= REMEMBERED_SESSIONS
            && !remembered.sessions.contains_key(&session_id)
        {
            remembered
                .sessions
                .retain(|_, session| session.forget_at > now);
            if remembered.sessions.len() >= REMEMBERED_SESSIONS {
                remembered.sessions.clear();
            }
        }
        remembered.sessions.insert(
            session_id,
            RememberedSession {
                user: user.clone(),
                session_expires_at,
                forget_at: now + self.lifetime,
            },
        );
    }

    pub fn forget_user(&self, user_id: Uuid) {
        if let Ok(mut remembered) = self.remembered.lock() {
            remembered.epoch += 1;
            remembered
                .sessions
                .retain(|_, session| session.user.id != user_id);
        }
    }

    pub fn forget_all(&self) {
        if let Ok(mut remembered) = self.remembered.lock() {
            remembered.epoch += 1;
            remembered.sessions.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.remembered
            .lock()
            .map_or(0, |remembered| remembered.sessions.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DeliveryObserver for SessionMemo {
    fn delivered(&self, event: &BusEvent) {
        if let Topic::Credentials(user_id) = event.topic() {
            self.forget_user(user_id);
        }
    }

    fn resynced(&self) {
        self.forget_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: Uuid) -> User {
        User {
            id,
            email: format!("{id}@example.com"),
            password_hash: String::new(),
            display_name: "Ada".into(),
            is_admin: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn memo() -> SessionMemo {
        SessionMemo::new(Duration::from_secs(60), None)
    }

    fn in_an_hour() -> DateTime<Utc> {
        Utc::now() + chrono::Duration::hours(1)
    }

    #[test]
    fn a_remembered_session_is_recalled_for_its_own_user_only() {
        let memo = memo();
        let (session, ada, bob) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let epoch = memo.lookup_epoch().unwrap();
        memo.remember(epoch, session, &user(ada), in_an_hour());
        assert_eq!(memo.recall(session, ada).map(|user| user.id), Some(ada));
        assert!(memo.recall(session, bob).is_none());
        assert!(memo.recall(Uuid::new_v4(), ada).is_none());
    }

    #[test]
    fn a_notice_on_the_users_credentials_topic_forgets_every_session_of_that_user() {
        let memo = memo();
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let (ada_1, ada_2, bob_1) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        for (session, owner) in [(ada_1, ada), (ada_2, ada), (bob_1, bob)] {
            let epoch = memo.lookup_epoch().unwrap();
            memo.remember(epoch, session, &user(owner), in_an_hour());
        }
        memo.delivered(
            &AccountChanged {
                account_changed: ada,
            }
            .into_event(),
        );
        assert!(memo.recall(ada_1, ada).is_none());
        assert!(memo.recall(ada_2, ada).is_none());
        assert!(memo.recall(bob_1, bob).is_some());
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn a_lookup_that_began_before_a_forget_is_not_remembered() {
        let memo = memo();
        let (session, ada) = (Uuid::new_v4(), Uuid::new_v4());
        let epoch = memo.lookup_epoch().unwrap();
        // The revocation commits and is delivered while the lookup's answer is on its way.
        memo.forget_user(ada);
        memo.remember(epoch, session, &user(ada), in_an_hour());
        assert!(memo.recall(session, ada).is_none());
    }

    #[test]
    fn an_expired_session_or_entry_is_not_recalled() {
        let (session, ada) = (Uuid::new_v4(), Uuid::new_v4());
        let memo = memo();
        let epoch = memo.lookup_epoch().unwrap();
        memo.remember(
            epoch,
            session,
            &user(ada),
            Utc::now() - chrono::Duration::seconds(1),
        );
        assert!(memo.recall(session, ada).is_none());

        let brief = SessionMemo::new(Duration::from_millis(20), None);
        let epoch = brief.lookup_epoch().unwrap();
        brief.remember(epoch, session, &user(ada), in_an_hour());
        assert!(brief.recall(session, ada).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(brief.recall(session, ada).is_none());
    }

    #[test]
    fn nothing_is_recalled_while_the_redis_subscription_is_down_and_all_is_forgotten_after() {
        let (subscribed, subscription) = watch::channel(true);
        let memo = SessionMemo::new(Duration::from_secs(60), Some(subscription));
        let (session, ada) = (Uuid::new_v4(), Uuid::new_v4());
        let epoch = memo.lookup_epoch().unwrap();
        memo.remember(epoch, session, &user(ada), in_an_hour());
        subscribed.send_replace(false);
        assert!(memo.recall(session, ada).is_none());
        assert!(memo.lookup_epoch().is_none());
        subscribed.send_replace(true);
        memo.resynced();
        assert!(memo.recall(session, ada).is_none());
    }

    #[test]
    fn a_zero_lifetime_remembers_nothing() {
        let memo = SessionMemo::new(Duration::ZERO, None);
        assert!(memo.lookup_epoch().is_none());
        assert!(memo.recall(Uuid::new_v4(), Uuid::new_v4()).is_none());
    }
}
