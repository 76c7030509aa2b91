//! Placeholder: the adapter is being written (issue 3).
