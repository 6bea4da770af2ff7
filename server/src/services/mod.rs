//! What the server does, between HTTP and the database: the JSON routes and the HTML pages are
//! thin adapters over these functions and render the typed views they return.

pub mod accounts;
pub mod cards;
pub mod clips;
pub mod invites;
pub mod links;
pub mod notifications;
pub mod search;
pub mod sharing;
pub mod team;
pub mod threads;
pub mod transcripts;
pub mod uploads;
