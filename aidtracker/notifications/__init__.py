"""E-mail notifications to partners when their shipments move, and the outbox that keeps them."""
