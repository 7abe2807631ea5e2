// benches/peers/go_server.go: the handlers-mode peer on Go's net/http (standard library only),
// with the endpoints of hybrid's example service, for `benches/compare --handlers`.
//
//	GET  /plaintext        200 text/plain "Hello, World!"
//	GET  /api/sleep?ms=N   sleeps N ms in the handler (time.Sleep), then 200 "slept"
//	GET  /api/deferred?ms=N  the same: a goroutine per connection, so nothing else waits
//	POST /api/echo         200 with the request body and its Content-Type
//
// Usage: go_server --port P (or PORT=P; 0 picks one). Binds 127.0.0.1 and prints
// "go net/http listening on http://127.0.0.1:PORT". GOMAXPROCS follows the CPU affinity, so under
// `taskset -c 0` the runtime runs Go code on one core, like the other servers.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

var hello = []byte("Hello, World!")

// delay reads ?ms=N (0 to 60000).
func delay(w http.ResponseWriter, r *http.Request) (time.Duration, bool) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 || ms > 60000 {
		http.Error(w, "ms must be 0..60000", http.StatusBadRequest)
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

func reply(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func main() {
	defaultPort := os.Getenv("PORT")
	if defaultPort == "" {
		defaultPort = "8080"
	}
	port := flag.String("port", defaultPort, "TCP port on 127.0.0.1 (0: any free port)")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		reply(w, "text/plain", hello)
	})
	sleep := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if d, ok := delay(w, r); ok {
				time.Sleep(d)
				reply(w, "text/plain", []byte(body))
			}
		}
	}
	mux.HandleFunc("/api/sleep", sleep("slept"))
	mux.HandleFunc("/api/deferred", sleep("deferred"))
	mux.HandleFunc("/api/echo", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		contentType := r.Header.Get("Content-Type")
		if contentType == "" {
			contentType = "application/octet-stream"
		}
		reply(w, contentType, body)
	})

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_server:", err)
		os.Exit(1)
	}
	fmt.Printf("go net/http listening on http://%s\n", ln.Addr())
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 60 * time.Second}
	if err := server.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "go_server:", err)
		os.Exit(1)
	}
}
