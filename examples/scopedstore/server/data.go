package server

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The resources of a store. Every id is unique across stores, so that an id
// of another store's resource can be recognised and refused with 403.

// A Product is an item a store sells; Price is in minor units (cents).
type Product struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Price     int       `json:"price"`
	Stock     int       `json:"stock"`
	CreatedAt time.Time `json:"created_at"`
	store     string
}

// An OrderItem is one line of an Order.
type OrderItem struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
	Price     int    `json:"price"`
}

// An Order is a purchase by a customer.
type Order struct {
	ID          string      `json:"id"`
	CustomerID  string      `json:"customer_id"`
	Items       []OrderItem `json:"items"`
	Total       int         `json:"total"`
	Status      string      `json:"status"`
	CreatedAt   time.Time   `json:"created_at"`
	FulfilledAt *time.Time  `json:"fulfilled_at"`
	store       string
}

// Order statuses.
const (
	StatusPending   = "pending"
	StatusPaid      = "paid"
	StatusFulfilled = "fulfilled"
	StatusCancelled = "cancelled"
	StatusRefunded  = "refunded"
)

var orderStatuses = []string{StatusPending, StatusPaid, StatusFulfilled, StatusCancelled, StatusRefunded}

// A Customer is a store's buyer.
type Customer struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	store     string
}

// A Webhook is an endpoint a store's events are posted to.
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	store     string
}

// Webhook events a subscription may name.
var webhookEvents = []string{"order.paid", "order.fulfilled", "order.refunded", "product.updated", "customer.updated"}

// Settings are a store's configuration.
type Settings struct {
	Store        string `json:"store"`
	Name         string `json:"name"`
	Currency     string `json:"currency"`
	Timezone     string `json:"timezone"`
	ContactEmail string `json:"contact_email"`
}

// db is the in-memory data of every store, behind one lock.
type db struct {
	mu        sync.RWMutex
	seq       int
	products  map[string]*Product
	orders    map[string]*Order
	customers map[string]*Customer
	webhooks  map[string]*Webhook
	settings  map[string]*Settings
	tokens    map[string]*TokenInfo
}

// newDB returns a db holding sample data for each of stores.
func newDB(stores []string, now time.Time) *db {
	d := &db{
		products:  make(map[string]*Product),
		orders:    make(map[string]*Order),
		customers: make(map[string]*Customer),
		webhooks:  make(map[string]*Webhook),
		settings:  make(map[string]*Settings),
		tokens:    make(map[string]*TokenInfo),
	}
	for _, s := range stores {
		d.seed(s, now)
	}
	return d
}

// nextID returns a fresh id with prefix; d.mu must be held.
func (d *db) nextID(prefix string) string {
	d.seq++
	return fmt.Sprintf("%s_%d", prefix, 1000+d.seq)
}

func (d *db) seed(store string, now time.Time) {
	at := now.Add(-72 * time.Hour).UTC().Truncate(time.Second)
	d.settings[store] = &Settings{Store: store, Name: store + " store", Currency: "USD", Timezone: "UTC", ContactEmail: "owner@" + store + ".example"}
	var prods []*Product
	for _, p := range []struct {
		name         string
		price, stock int
	}{{"VIP Rank (30 days)", 999, 1000}, {"Diamond Sword Kit", 499, 250}, {"Cosmetic Crate", 199, 5000}} {
		pr := &Product{ID: d.nextID("prod"), Name: p.name, Price: p.price, Stock: p.stock, CreatedAt: at, store: store}
		d.products[pr.ID] = pr
		prods = append(prods, pr)
	}
	var custs []*Customer
	for _, c := range []struct{ name, user string }{{"Alex Miner", "alex"}, {"Sam Builder", "sam"}} {
		cu := &Customer{ID: d.nextID("cus"), Email: c.user + "@" + store + ".example", Name: c.name, CreatedAt: at, store: store}
		d.customers[cu.ID] = cu
		custs = append(custs, cu)
	}
	for i, o := range []struct {
		cust, prod, qty int
		status          string
	}{{0, 0, 1, StatusPaid}, {1, 1, 2, StatusPaid}, {0, 2, 3, StatusFulfilled}} {
		p := prods[o.prod]
		or := &Order{
			ID: d.nextID("ord"), CustomerID: custs[o.cust].ID,
			Items:  []OrderItem{{ProductID: p.ID, Quantity: o.qty, Price: p.Price}},
			Total:  o.qty * p.Price,
			Status: o.status, CreatedAt: at.Add(time.Duration(i+1) * time.Hour), store: store,
		}
		if o.status == StatusFulfilled {
			t := or.CreatedAt.Add(time.Hour)
			or.FulfilledAt = &t
		}
		d.orders[or.ID] = or
	}
	wh := &Webhook{ID: d.nextID("wh"), URL: "https://hooks." + store + ".example/pixl", Events: []string{"order.paid"}, CreatedAt: at, store: store}
	d.webhooks[wh.ID] = wh
}

// owned is a resource that belongs to one store.
type owned interface{ owner() string }

func (p *Product) owner() string  { return p.store }
func (o *Order) owner() string    { return o.store }
func (c *Customer) owner() string { return c.store }
func (w *Webhook) owner() string  { return w.store }

// list returns copies of the values in m that belong to store, by id.
func list[T any, P interface {
	*T
	owned
}](m map[string]P, store string, id func(*T) string) []T {
	out := []T{}
	for _, v := range m {
		if v.owner() == store {
			out = append(out, *v)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(id(&a), id(&b)) })
	return out
}
