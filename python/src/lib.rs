//! Placeholder until this binding lands.
