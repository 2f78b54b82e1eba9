//! The dialect's wire shapes: the envelope every answer is wrapped in, the
//! `dkim_key` records as GreenArrow's page defines them, and the turning of a
//! payload into a core command.

pub mod envelope;
pub mod key;
pub mod payload;
