package server

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// Product is a reward in the catalogue.
type Product struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	CategoryID int    `json:"category_id"`
	Points     int    `json:"points"`
	InStock    bool   `json:"in_stock"`
}

// Category groups products.
type Category struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

var (
	categories = []Category{
		{1, "Gift cards"},
		{2, "Experiences"},
		{3, "Merchandise"},
	}
	products = []Product{
		{101, "Coffee shop gift card", 1, 500, true},
		{102, "Bookstore gift card", 1, 1000, true},
		{201, "Cinema tickets for two", 2, 1500, true},
		{202, "Cooking class", 2, 4000, false},
		{301, "Branded water bottle", 3, 800, true},
	}
)

func listProducts(w http.ResponseWriter, r *http.Request) {
	if err := envelope.OK(w, products); err != nil {
		envelope.Write(w, r, err)
	}
}

func listCategories(w http.ResponseWriter, r *http.Request) {
	if err := envelope.OK(w, categories); err != nil {
		envelope.Write(w, r, err)
	}
}
