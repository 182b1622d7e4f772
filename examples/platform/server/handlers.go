package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// decoder reads request bodies strictly: JSON only, 16 KiB at most, no
// unknown fields.
var decoder = envelope.Decoder{MaxBytes: 16 << 10}

// decodeOptional decodes the body into dst unless the request has none:
// seed 003's example requests (POST /Orders/Create, POST
// /Supplier/Products/List) carry no body.
func decodeOptional(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decoder.Decode(w, r, dst)
}

func invalid(field, msg string) error {
	return envelope.ErrValidation.WithField(field).WithMessage(msg)
}

// principal returns the request's Principal; the authentication middleware
// in front of every handler guarantees one.
func principal(r *http.Request) gatehouse.Principal {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	return p
}

// createOrder is POST /Orders/Create, body (optional)
// {"reference":"PO-1","customer_id":"cus_1001","items":[{"sku":"SKU-1001","quantity":2}]}.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Reference  string      `json:"reference"`
		CustomerID string      `json:"customer_id"`
		Items      []OrderItem `json:"items"`
	}
	if err := decodeOptional(w, r, &req); err != nil {
		envelope.Write(w, r, err)
		return
	}
	switch {
	case len(req.Reference) > 64:
		envelope.Write(w, r, invalid("reference", "Field too long: reference"))
		return
	case len(req.CustomerID) > 64:
		envelope.Write(w, r, invalid("customer_id", "Field too long: customer_id"))
		return
	case len(req.Items) > 100:
		envelope.Write(w, r, invalid("items", "Too many items: at most 100"))
		return
	}
	for _, it := range req.Items {
		if it.SKU == "" || len(it.SKU) > 64 || it.Quantity < 1 || it.Quantity > 10_000 {
			envelope.Write(w, r, invalid("items", "Each item needs a sku of at most 64 characters and a quantity from 1 to 10000"))
			return
		}
	}
	p := principal(r)
	o := s.data.addOrder(Order{
		Reference: req.Reference, CustomerID: req.CustomerID, Items: append([]OrderItem{}, req.Items...),
		Tenant: p.Tenant, CreatedBy: p.Subject,
	})
	_ = envelope.Success(w, http.StatusCreated, o)
}

// listOrders is GET /Orders/List: the orders of the token's tenant.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	_ = envelope.OK(w, s.data.listOrders(principal(r).Tenant, ""))
}

// An AccountInfo is what GET /Storefront/Account answers.
type AccountInfo struct {
	CustomerID string   `json:"customer_id"`
	Email      string   `json:"email,omitempty"`
	Tenant     string   `json:"tenant"`
	Scopes     []string `json:"scopes"`
}

// account is GET /Storefront/Account: who the token is for.
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	info := AccountInfo{CustomerID: p.Subject, Tenant: p.Tenant, Scopes: slices.Clone(p.Scopes)}
	if p.Subject == s.cfg.Customer.ID {
		info.Email = s.cfg.Customer.Username
	}
	_ = envelope.OK(w, info)
}

// customerOrders is GET /Storefront/Orders: the customer's own orders.
func (s *Server) customerOrders(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	_ = envelope.OK(w, s.data.listOrders(p.Tenant, p.Subject))
}

// createCharge is POST /Payment/Charges/Create, body
// {"amount":1999,"currency":"EUR","reference":"INV-1"} (amount in minor units).
func (s *Server) createCharge(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Amount    int64  `json:"amount" envelope:"required"`
		Currency  string `json:"currency" envelope:"required"`
		Reference string `json:"reference"`
	}
	if err := decoder.Decode(w, r, &req); err != nil {
		envelope.Write(w, r, err)
		return
	}
	switch {
	case req.Amount < 1 || req.Amount > 100_000_000:
		envelope.Write(w, r, invalid("amount", "amount must be from 1 to 100000000 (minor units)"))
		return
	case !isCurrency(req.Currency):
		envelope.Write(w, r, invalid("currency", "currency must be an ISO 4217 code such as EUR"))
		return
	case len(req.Reference) > 64:
		envelope.Write(w, r, invalid("reference", "Field too long: reference"))
		return
	}
	p := principal(r)
	c := s.data.addCharge(Charge{Amount: req.Amount, Currency: req.Currency, Reference: req.Reference, Tenant: p.Tenant, KeyID: p.TokenID})
	_ = envelope.Success(w, http.StatusCreated, c)
}

func isCurrency(s string) bool {
	return len(s) == 3 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// listCharges is GET /Payment/Charges/List: the charges of the key's tenant.
func (s *Server) listCharges(w http.ResponseWriter, r *http.Request) {
	_ = envelope.OK(w, s.data.listCharges(principal(r).Tenant))
}

// listProducts is POST /Supplier/Products/List, body (optional)
// {"in_stock":true} to list only products with stock.
func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	var req struct {
		InStock bool `json:"in_stock"`
	}
	if err := decodeOptional(w, r, &req); err != nil {
		envelope.Write(w, r, err)
		return
	}
	ps := s.data.listProducts(principal(r).Tenant)
	if req.InStock {
		ps = slices.DeleteFunc(ps, func(p Product) bool { return p.Stock == 0 })
	}
	_ = envelope.OK(w, ps)
}

// updateStock is POST /Supplier/Products/UpdateStock, body
// {"sku":"SKU-1003","stock":12}.
func (s *Server) updateStock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SKU   string `json:"sku" envelope:"required"`
		Stock *int   `json:"stock" envelope:"required"`
	}
	if err := decoder.Decode(w, r, &req); err != nil {
		envelope.Write(w, r, err)
		return
	}
	if *req.Stock < 0 || *req.Stock > 1_000_000 {
		envelope.Write(w, r, invalid("stock", "stock must be from 0 to 1000000"))
		return
	}
	p, ok := s.data.setStock(principal(r).Tenant, req.SKU, *req.Stock)
	if !ok {
		envelope.Write(w, r, envelope.ErrNotFound.WithMessage("No such product"))
		return
	}
	_ = envelope.OK(w, p)
}
