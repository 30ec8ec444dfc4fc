"""The browser dashboard (students): `spiral explore`, one person's story in a town."""
