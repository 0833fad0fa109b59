module github.com/brokerkit/brokerkit

go 1.26.0

require golang.org/x/oauth2 v0.37.0

require (
	github.com/bufbuild/protocompile v0.14.1 // indirect
	github.com/go-oauth2/oauth2/v4 v4.5.4 // indirect
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/jarcoal/httpmock v1.4.2 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.8.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
