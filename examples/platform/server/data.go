package server

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// data is the platform's in-memory business state, partitioned by tenant.
// It is safe for concurrent use.
type data struct {
	now func() time.Time

	mu       sync.Mutex
	orders   map[string][]Order // by tenant
	charges  map[string][]Charge
	products map[string][]Product
	seq      int
}

// An Order is a reseller order.
type Order struct {
	ID         string      `json:"id"`
	Reference  string      `json:"reference,omitempty"`
	CustomerID string      `json:"customer_id,omitempty"`
	Items      []OrderItem `json:"items"`
	Status     string      `json:"status"`
	Tenant     string      `json:"tenant"`
	CreatedBy  string      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
}

// An OrderItem is one line of an Order.
type OrderItem struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// A Charge is a payment.
type Charge struct {
	ID        string    `json:"id"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	Reference string    `json:"reference,omitempty"`
	Status    string    `json:"status"`
	Tenant    string    `json:"tenant"`
	KeyID     string    `json:"key_id"`
	CreatedAt time.Time `json:"created_at"`
}

// A Product is a supplier's catalogue entry.
type Product struct {
	SKU   string `json:"sku"`
	Name  string `json:"name"`
	Stock int    `json:"stock"`
}

// demoProducts is the platform tenant's initial catalogue.
var demoProducts = []Product{
	{SKU: "SKU-1001", Name: "Espresso beans 1 kg", Stock: 120},
	{SKU: "SKU-1002", Name: "Milk frothing jug", Stock: 35},
	{SKU: "SKU-1003", Name: "Ceramic cup, set of 6", Stock: 0},
}

func newData(tenant string, now func() time.Time) *data {
	return &data{
		now:      now,
		orders:   map[string][]Order{},
		charges:  map[string][]Charge{},
		products: map[string][]Product{tenant: slices.Clone(demoProducts)},
	}
}

func (d *data) nextID(prefix string) string {
	d.seq++
	return fmt.Sprintf("%s_%06d", prefix, d.seq)
}

func (d *data) addOrder(o Order) Order {
	d.mu.Lock()
	defer d.mu.Unlock()
	o.ID, o.Status, o.CreatedAt = d.nextID("ord"), "created", d.now().UTC()
	d.orders[o.Tenant] = append(d.orders[o.Tenant], o)
	return o
}

// listOrders returns the tenant's orders, only those of customer when it is
// not empty.
func (d *data) listOrders(tenant, customer string) []Order {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []Order{}
	for _, o := range d.orders[tenant] {
		if customer == "" || o.CustomerID == customer {
			out = append(out, o)
		}
	}
	return out
}

func (d *data) addCharge(c Charge) Charge {
	d.mu.Lock()
	defer d.mu.Unlock()
	c.ID, c.Status, c.CreatedAt = d.nextID("ch"), "succeeded", d.now().UTC()
	d.charges[c.Tenant] = append(d.charges[c.Tenant], c)
	return c
}

func (d *data) listCharges(tenant string) []Charge {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Charge{}, d.charges[tenant]...)
}

func (d *data) listProducts(tenant string) []Product {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Product{}, d.products[tenant]...)
}

// setStock sets the stock of the tenant's product sku, and reports whether
// there is such a product.
func (d *data) setStock(tenant, sku string, stock int) (Product, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ps := d.products[tenant]
	for i := range ps {
		if ps[i].SKU == sku {
			ps[i].Stock = stock
			return ps[i], true
		}
	}
	return Product{}, false
}
