//! Domain events: the activity log (written in the same transaction as each change), the bus
//! that fans committed events out to subscribers on every instance, and the resumable streams
//! that merge replay from the log with live delivery.

pub mod bus;
pub mod log;
pub mod stream;

pub use bus::{BusEvent, EventBus, Topic};
pub use log::{ActivityEvent, NewActivity};
