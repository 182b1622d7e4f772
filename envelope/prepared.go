package envelope

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// A Prepared is an error made ready to be written again and again, for
// middleware whose refusals are known when it is built: the body is
// rendered once instead of on every request, when the style renders it
// the same for every request. Build it with [Prepare]; it is safe for
// concurrent use.
//
// [Prepared.Write] sends exactly the response WriteStyle(w, r, style, err)
// sends with the style and error given to Prepare: the same status, the
// same headers and the same body, in every case. Only where the body comes
// from differs. The built-in styles and [NumericStyle] read nothing of the
// request, so their body is rendered in advance; any other Style (a
// [StyleFunc], an application's own type) may, so it renders on every
// request, as WriteStyle does. With a nil style, the style is the
// request's ([Resolve]): the body is rendered in advance for [Nested],
// and for each other built-in style the first time a request selects it.
//
// The body's bytes are shared by every response p writes. They never
// change, so a ResponseWriter may keep them; as [io.Writer] requires, it
// must not modify them.
type Prepared struct {
	e     Error // the error written: As(err), copied, its status made writable
	none  bool  // err was nil: nothing is written
	style Style
	retry []string // e's Retry-After value, when it has one

	// fixed is e rendered in style when style is not nil and renders the
	// same for every request; nil otherwise.
	fixed *prerendered
	// codes is the NumericStyle's map when fixed depends on it, and
	// number and found what it held for e's Code when fixed was rendered:
	// the body is used only while the map still says so.
	codes  map[string]int
	number int
	found  bool

	// builtin holds e rendered in each built-in style when style is nil.
	builtin [numBuiltin]atomic.Pointer[prerendered]
}

// A prerendered body, and its Content-Type header value.
type prerendered struct {
	body []byte
	ct   []string
}

// numBuiltin is the number of built-in styles.
const numBuiltin = Problem + 1

// Prepare returns err, converted with [As], ready to be written in style
// (nil: the request's style, see [Resolve]) by [Prepared.Write]. Prepare
// keeps its own copy of the Error: changing err's fields afterwards changes
// nothing p writes. A nil err gives a Prepared that writes nothing.
func Prepare(style Style, err error) *Prepared {
	p := &Prepared{style: style}
	e := As(err)
	if e == nil {
		p.none = true
		return p
	}
	p.e = *writable(e)
	if p.e.Challenge != "" && (len(p.e.challengeHdr) != 1 || p.e.challengeHdr[0] != p.e.Challenge) {
		p.e.challengeHdr = []string{p.e.Challenge}
	}
	if p.e.RetryAfter > 0 {
		p.retry = []string{strconv.FormatInt(RetryAfterSeconds(p.e.RetryAfter), 10)}
	}
	switch s := style.(type) {
	case nil:
		p.builtin[Nested].Store(p.render(Nested))
	case BuiltinStyle:
		p.fixed = p.render(s)
	case NumericStyle:
		p.fixed = p.render(s)
		if !p.e.HasNumber && s.Codes != nil {
			p.codes = s.Codes
			p.number, p.found = s.Codes[p.e.Code]
		}
	}
	return p
}

// render renders p's error in s, a style that does not read the request.
func (p *Prepared) render(s Style) *prerendered {
	body, ct := s.AppendBody(nil, nil, &p.e)
	return &prerendered{body: body[:len(body):len(body)], ct: contentTypeHeader(ct)}
}

// Write sends p's error to w as WriteStyle(w, r, style, err) would, style
// and err being those p was prepared with.
func (p *Prepared) Write(w http.ResponseWriter, r *http.Request) {
	if p.none {
		return
	}
	if pr := p.prerendered(r); pr != nil {
		respond(w, &p.e, pr.body, pr.ct, p.retry)
		return
	}
	render(w, r, p.style, &p.e, p.retry)
}

// WriteError sends err to w as WriteStyle(w, r, style, err) would, style
// being the one p was prepared with. When err renders as p's error — it
// is, or wraps, an [*Error] whose every field but its cause is equal to
// it, such as a copy of it with another cause ([Error.WithCause]) — the
// prepared body is sent. It is for middleware whose refusals are prepared
// but sometimes carry a cause for the server's logs.
func (p *Prepared) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := As(err)
	if e == nil {
		return
	}
	if !p.none && p.e.sameResponse(e) {
		if pr := p.prerendered(r); pr != nil {
			respond(w, &p.e, pr.body, pr.ct, p.retry)
			return
		}
	}
	render(w, r, p.style, e, nil)
}

// prerendered returns p's error rendered in the style r is answered in,
// or nil when that style renders on every request.
func (p *Prepared) prerendered(r *http.Request) *prerendered {
	if p.style != nil {
		if p.codes != nil {
			if n, ok := p.codes[p.e.Code]; n != p.number || ok != p.found {
				return nil // the map changed since Prepare
			}
		}
		return p.fixed
	}
	s := Nested
	if r != nil {
		if cs, ok := StyleFrom(r.Context()); ok {
			switch cs := cs.(type) {
			case BuiltinStyle:
				s = cs
			case NumericStyle:
				if cs.Codes != nil && !p.e.HasNumber {
					return nil
				}
				s = Numeric // a NumericStyle that reads no map renders as Numeric
			default:
				return nil
			}
		}
	}
	if s >= numBuiltin {
		s = Nested // as BuiltinStyle.AppendBody renders it
	}
	pr := p.builtin[s].Load()
	if pr == nil {
		// Rendered once per style; two requests racing here render the
		// same bytes, and either is kept.
		pr = p.render(s)
		p.builtin[s].Store(pr)
	}
	return pr
}

// sameResponse reports whether the writable f is written as e is: every
// field a style or a header reads is equal, once e's status is made
// writable. The cause and the precomputed challenge slice are not
// compared: neither is rendered.
func (f *Error) sameResponse(e *Error) bool {
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	return status == f.Status &&
		e.Name == f.Name &&
		e.Code == f.Code &&
		e.Number == f.Number &&
		e.HasNumber == f.HasNumber &&
		e.OAuthCode == f.OAuthCode &&
		e.Message == f.Message &&
		e.Field == f.Field &&
		e.Challenge == f.Challenge &&
		e.RetryAfter == f.RetryAfter
}
