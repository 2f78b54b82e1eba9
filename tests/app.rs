//! spawn_app and TestApp (placeholder: the api helper replaces this file).
