//! Order actions and their encoding (being written).
