package bearer

// placeholder until the metadata branch merges
type ResourceMetadata struct {
	Resource             string
	AuthorizationServers []string
}

func resolveMetadata(cfg Config) (ResourceMetadata, error) { return cfg.Metadata, nil }
func (m ResourceMetadata) challengeURL() string            { return "" }
