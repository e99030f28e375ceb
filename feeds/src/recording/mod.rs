//! Recording readers.
