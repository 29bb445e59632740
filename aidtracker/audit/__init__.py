"""The audit trail: every change to shipments, lines, documents, organisations, rates and users."""
