//! kronosnet onwire v1.
