// Package blackbox holds black-box probes of gatehouse's public API: tests
// that attack the library as a user of its exported packages would, over
// real HTTP servers on loopback. It has no code of its own.
package blackbox
