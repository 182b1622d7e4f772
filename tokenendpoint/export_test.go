package tokenendpoint

// SeedClaims is seedClaims for the external tests.
var SeedClaims = seedClaims
