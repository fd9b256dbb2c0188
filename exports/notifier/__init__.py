"""The notifier's edge: mail built from outbox rows and delivered over SMTP (PRODUCT.md section 11)."""
