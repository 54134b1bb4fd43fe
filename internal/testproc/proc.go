package testproc

import (
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"time"
)

// Proc is a server process a test harness starts, waits for and stops.
type Proc struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start runs cmd and polls ready until it reports true, failing if the
// process exits first or wait passes (a hang guard, not a timing check).
func (p *Proc) Start(cmd *exec.Cmd, wait time.Duration, ready func(*http.Client) bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := cmd.Path
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			return fmt.Errorf("%s exited during start", name)
		default:
		}
		if ready(client) {
			p.cmd, p.exited = cmd, exited
			return nil
		}
	}
	cmd.Process.Kill()
	<-exited
	return fmt.Errorf("%s was not ready within %s", name, wait)
}

// Stop kills the process and waits for it; it does nothing when none runs.
func (p *Proc) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}
