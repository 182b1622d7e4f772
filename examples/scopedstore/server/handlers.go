package server

import (
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// respond writes data in seed 004's success wrapper, {"success":true,"data":…}.
func respond(w http.ResponseWriter, r *http.Request, status int, data any) {
	if err := envelope.Success(w, status, data); err != nil {
		envelope.Write(w, r, err)
	}
}

// invalid is a 400 about field with a message that never echoes the value.
func invalid(field, msg string) error {
	return envelope.ErrValidation.WithField(field).WithMessage(msg)
}

var (
	errNothingToUpdate = envelope.ErrValidation.WithMessage("Nothing to update: send at least one field")
	errConflict        = envelope.New(http.StatusConflict, "ConflictError", "CONFLICT", "")
)

// find returns m[id] when it belongs to store: 404 when there is no such
// id, 403 "Insufficient permissions" when it is another store's. The
// caller holds the db lock.
func find[P owned](m map[string]P, id, store, kind string) (P, error) {
	v, ok := m[id]
	if !ok {
		var zero P
		return zero, envelope.ErrNotFound.WithMessage(kind + " not found")
	}
	if v.owner() != store {
		var zero P
		return zero, errForeign
	}
	return v, nil
}

// get answers one resource of the request's store, as a copy taken under
// the read lock.
func get[T any, P interface {
	*T
	owned
}](s *Server, w http.ResponseWriter, r *http.Request, m map[string]P, kind string) {
	s.db.mu.RLock()
	v, err := find(m, r.PathValue("id"), storeFrom(r), kind)
	var out T
	if err == nil {
		out = *v
	}
	s.db.mu.RUnlock()
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, out)
}

// decode reads a JSON body strictly; a failure has been answered when it
// returns false.
func decode(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := envelope.Decode(w, r, dst); err != nil {
		envelope.Write(w, r, err)
		return false
	}
	return true
}

func productID(p *Product) string   { return p.ID }
func orderID(o *Order) string       { return o.ID }
func customerID(c *Customer) string { return c.ID }
func webhookID(h *Webhook) string   { return h.ID }

// Products (products:read, products:write).

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	s.db.mu.RLock()
	out := list(s.db.products, storeFrom(r), productID)
	s.db.mu.RUnlock()
	respond(w, r, http.StatusOK, out)
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	get(s, w, r, s.db.products, "Product")
}

type productRequest struct {
	Name  *string `json:"name"`
	Price *int    `json:"price"`
	Stock *int    `json:"stock"`
}

func (p productRequest) validate() error {
	switch {
	case p.Name != nil && (len(*p.Name) == 0 || len(*p.Name) > 200 || strings.ContainsFunc(*p.Name, isControl)):
		return invalid("name", "name must be 1 to 200 printable characters")
	case p.Price != nil && *p.Price < 0:
		return invalid("price", "price must be a non-negative amount in cents")
	case p.Stock != nil && *p.Stock < 0:
		return invalid("stock", "stock must be non-negative")
	}
	return nil
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name  *string `json:"name" envelope:"required"`
		Price *int    `json:"price" envelope:"required"`
		Stock *int    `json:"stock"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := (productRequest{req.Name, req.Price, req.Stock}).validate(); err != nil {
		envelope.Write(w, r, err)
		return
	}
	s.db.mu.Lock()
	p := &Product{ID: s.db.nextID("prod"), Name: *req.Name, Price: *req.Price, CreatedAt: s.now().UTC().Truncate(time.Second), store: storeFrom(r)}
	if req.Stock != nil {
		p.Stock = *req.Stock
	}
	s.db.products[p.ID] = p
	out := *p
	s.db.mu.Unlock()
	respond(w, r, http.StatusCreated, out)
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request) {
	var req productRequest
	if !decode(w, r, &req) {
		return
	}
	if req == (productRequest{}) {
		envelope.Write(w, r, errNothingToUpdate)
		return
	}
	if err := req.validate(); err != nil {
		envelope.Write(w, r, err)
		return
	}
	s.db.mu.Lock()
	p, err := find(s.db.products, r.PathValue("id"), storeFrom(r), "Product")
	var out Product
	if err == nil {
		if req.Name != nil {
			p.Name = *req.Name
		}
		if req.Price != nil {
			p.Price = *req.Price
		}
		if req.Stock != nil {
			p.Stock = *req.Stock
		}
		out = *p
	}
	s.db.mu.Unlock()
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, out)
}

func (s *Server) deleteProduct(w http.ResponseWriter, r *http.Request) {
	s.db.mu.Lock()
	p, err := find(s.db.products, r.PathValue("id"), storeFrom(r), "Product")
	if err == nil {
		delete(s.db.products, p.ID)
	}
	s.db.mu.Unlock()
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, map[string]any{"id": p.ID, "deleted": true})
}

// Orders (orders:read, orders:write).

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	s.db.mu.RLock()
	out := list(s.db.orders, storeFrom(r), orderID)
	s.db.mu.RUnlock()
	respond(w, r, http.StatusOK, out)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	get(s, w, r, s.db.orders, "Order")
}

// setStatus moves o to status at now, or returns a 409 when the move makes
// no sense (fulfilling an unpaid order, changing a closed one).
func setStatus(o *Order, status string, now time.Time) error {
	from := o.Status
	ok := false
	switch status {
	case StatusPaid:
		ok = from == StatusPending
	case StatusFulfilled:
		ok = from == StatusPaid
	case StatusCancelled:
		ok = from == StatusPending || from == StatusPaid
	case StatusRefunded:
		ok = from == StatusPaid || from == StatusFulfilled
	}
	if !ok {
		return errConflict.WithMessage("An order that is " + from + " cannot become " + status)
	}
	o.Status = status
	if status == StatusFulfilled {
		t := now.UTC().Truncate(time.Second)
		o.FulfilledAt = &t
	}
	return nil
}

func (s *Server) changeOrder(w http.ResponseWriter, r *http.Request, status string) {
	s.db.mu.Lock()
	o, err := find(s.db.orders, r.PathValue("id"), storeFrom(r), "Order")
	var out Order
	if err == nil {
		if err = setStatus(o, status, s.now()); err == nil {
			out = *o
		}
	}
	s.db.mu.Unlock()
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, out)
}

func (s *Server) fulfillOrder(w http.ResponseWriter, r *http.Request) {
	s.changeOrder(w, r, StatusFulfilled)
}

func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status" envelope:"required"`
	}
	if !decode(w, r, &req) {
		return
	}
	if !slices.Contains(orderStatuses, req.Status) || req.Status == StatusPending {
		envelope.Write(w, r, invalid("status", "status must be paid, fulfilled, cancelled or refunded"))
		return
	}
	s.changeOrder(w, r, req.Status)
}

// Customers (customers:read, customers:write).

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	s.db.mu.RLock()
	out := list(s.db.customers, storeFrom(r), customerID)
	s.db.mu.RUnlock()
	respond(w, r, http.StatusOK, out)
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	get(s, w, r, s.db.customers, "Customer")
}

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name  *string `json:"name"`
		Email *string `json:"email"`
	}
	if !decode(w, r, &req) {
		return
	}
	switch {
	case req.Name == nil && req.Email == nil:
		envelope.Write(w, r, errNothingToUpdate)
		return
	case req.Name != nil && (len(*req.Name) == 0 || len(*req.Name) > 200 || strings.ContainsFunc(*req.Name, isControl)):
		envelope.Write(w, r, invalid("name", "name must be 1 to 200 printable characters"))
		return
	case req.Email != nil && !validEmail(*req.Email):
		envelope.Write(w, r, invalid("email", "email must be an e-mail address"))
		return
	}
	s.db.mu.Lock()
	c, err := find(s.db.customers, r.PathValue("id"), storeFrom(r), "Customer")
	var out Customer
	if err == nil {
		if req.Name != nil {
			c.Name = *req.Name
		}
		if req.Email != nil {
			c.Email = *req.Email
		}
		out = *c
	}
	s.db.mu.Unlock()
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, out)
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// Analytics (analytics:read).

// Revenue is the answer to GET /analytics/revenue: paid, fulfilled and
// refunded totals in the store's currency, in cents.
type Revenue struct {
	Currency string         `json:"currency"`
	Gross    int            `json:"gross"`
	Refunded int            `json:"refunded"`
	Net      int            `json:"net"`
	Orders   int            `json:"orders"`
	ByStatus map[string]int `json:"by_status"`
}

func (s *Server) revenue(w http.ResponseWriter, r *http.Request) {
	store := storeFrom(r)
	s.db.mu.RLock()
	rev := Revenue{Currency: s.db.settings[store].Currency, ByStatus: map[string]int{}}
	for _, o := range s.db.orders {
		if o.store != store {
			continue
		}
		rev.ByStatus[o.Status] += o.Total
		switch o.Status {
		case StatusPaid, StatusFulfilled:
			rev.Gross += o.Total
			rev.Orders++
		case StatusRefunded:
			rev.Gross += o.Total
			rev.Refunded += o.Total
			rev.Orders++
		}
	}
	s.db.mu.RUnlock()
	rev.Net = rev.Gross - rev.Refunded
	respond(w, r, http.StatusOK, rev)
}

// ProductSales is one row of GET /analytics/sales.
type ProductSales struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
	Revenue   int    `json:"revenue"`
}

func (s *Server) sales(w http.ResponseWriter, r *http.Request) {
	store := storeFrom(r)
	by := map[string]*ProductSales{}
	s.db.mu.RLock()
	for _, o := range s.db.orders {
		if o.store != store || (o.Status != StatusPaid && o.Status != StatusFulfilled) {
			continue
		}
		for _, it := range o.Items {
			ps := by[it.ProductID]
			if ps == nil {
				ps = &ProductSales{ProductID: it.ProductID}
				by[it.ProductID] = ps
			}
			ps.Quantity += it.Quantity
			ps.Revenue += it.Quantity * it.Price
		}
	}
	s.db.mu.RUnlock()
	out := make([]ProductSales, 0, len(by))
	for _, ps := range by {
		out = append(out, *ps)
	}
	slices.SortFunc(out, func(a, b ProductSales) int { return strings.Compare(a.ProductID, b.ProductID) })
	respond(w, r, http.StatusOK, out)
}

// Webhooks (webhooks:read, webhooks:write).

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.db.mu.RLock()
	out := list(s.db.webhooks, storeFrom(r), webhookID)
	s.db.mu.RUnlock()
	respond(w, r, http.StatusOK, out)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	get(s, w, r, s.db.webhooks, "Webhook")
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL    string   `json:"url" envelope:"required"`
		Events []string `json:"events" envelope:"required"`
	}
	if !decode(w, r, &req) {
		return
	}
	if u, err := url.Parse(req.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(req.URL) > 2048 {
		envelope.Write(w, r, invalid("url", "url must be an absolute http or https URL"))
		return
	}
	var events []string
	for _, e := range req.Events {
		if !slices.Contains(webhookEvents, e) {
			envelope.Write(w, r, invalid("events", "events must be among: "+strings.Join(webhookEvents, ", ")))
			return
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	s.db.mu.Lock()
	h := &Webhook{ID: s.db.nextID("wh"), URL: req.URL, Events: events, CreatedAt: s.now().UTC().Truncate(time.Second), store: storeFrom(r)}
	s.db.webhooks[h.ID] = h
	out := *h
	s.db.mu.Unlock()
	respond(w, r, http.StatusCreated, out)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.db.mu.Lock()
	h, err := find(s.db.webhooks, r.PathValue("id"), storeFrom(r), "Webhook")
	if err == nil {
		delete(s.db.webhooks, h.ID)
	}
	s.db.mu.Unlock()
	if err != nil {
		envelope.Write(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, map[string]any{"id": h.ID, "deleted": true})
}

// Settings (settings:read, settings:write).

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	s.db.mu.RLock()
	out := *s.db.settings[storeFrom(r)]
	s.db.mu.RUnlock()
	respond(w, r, http.StatusOK, out)
}

func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name         *string `json:"name"`
		Currency     *string `json:"currency"`
		Timezone     *string `json:"timezone"`
		ContactEmail *string `json:"contact_email"`
	}
	if !decode(w, r, &req) {
		return
	}
	switch {
	case req.Name == nil && req.Currency == nil && req.Timezone == nil && req.ContactEmail == nil:
		envelope.Write(w, r, errNothingToUpdate)
		return
	case req.Name != nil && (len(*req.Name) == 0 || len(*req.Name) > 200 || strings.ContainsFunc(*req.Name, isControl)):
		envelope.Write(w, r, invalid("name", "name must be 1 to 200 printable characters"))
		return
	case req.Currency != nil && !isCurrency(*req.Currency):
		envelope.Write(w, r, invalid("currency", "currency must be a three-letter ISO 4217 code such as USD"))
		return
	case req.Timezone != nil && (len(*req.Timezone) == 0 || len(*req.Timezone) > 64 || strings.ContainsFunc(*req.Timezone, isControl)):
		envelope.Write(w, r, invalid("timezone", "timezone must be an IANA zone name such as Europe/Paris"))
		return
	case req.ContactEmail != nil && !validEmail(*req.ContactEmail):
		envelope.Write(w, r, invalid("contact_email", "contact_email must be an e-mail address"))
		return
	}
	s.db.mu.Lock()
	st := s.db.settings[storeFrom(r)]
	if req.Name != nil {
		st.Name = *req.Name
	}
	if req.Currency != nil {
		st.Currency = *req.Currency
	}
	if req.Timezone != nil {
		st.Timezone = *req.Timezone
	}
	if req.ContactEmail != nil {
		st.ContactEmail = *req.ContactEmail
	}
	out := *st
	s.db.mu.Unlock()
	respond(w, r, http.StatusOK, out)
}

func isCurrency(s string) bool {
	return len(s) == 3 && strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0
}
