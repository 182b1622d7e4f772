package bench

// gatehouseJWTs returns gatehouse's bearer contenders: first sight, and
// with valid also the cache hit. Empty until the bearer package lands.
func gatehouseJWTs(valid bool) []gatehouseJWT { return nil }
