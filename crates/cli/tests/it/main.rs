//! The one integration-test binary of amends.
