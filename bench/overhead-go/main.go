// The benchmark's orchestration probe with the Go SDK (bench/scenarios/overhead.ts): the same
// workflow of no-op activities in a row as bench/workflows/activity-overhead.ts, against the same
// server, so the time per step can be told apart as the server's or the TypeScript SDK's.
//
//	overhead-go ADDRESS STEPS    prints {"ms": <wall time of one run of STEPS activities>}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func Nothing(_ context.Context, i int) (int, error) { return i, nil }

func ActivityOverhead(ctx workflow.Context, steps int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	sum := 0
	for i := 0; i < steps; i++ {
		var r int
		if err := workflow.ExecuteActivity(ctx, Nothing, i).Get(ctx, &r); err != nil {
			return 0, err
		}
		sum += r
	}
	return sum, nil
}

func run(c client.Client, queue string, steps int) (time.Duration, error) {
	t0 := time.Now()
	options := client.StartWorkflowOptions{TaskQueue: queue, ID: fmt.Sprintf("%s-%d", queue, t0.UnixNano())}
	handle, err := c.ExecuteWorkflow(context.Background(), options, ActivityOverhead, steps)
	if err != nil {
		return 0, err
	}
	var sum int
	err = handle.Get(context.Background(), &sum)
	return time.Since(t0), err
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: overhead-go ADDRESS STEPS")
		os.Exit(2)
	}
	steps, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	quiet := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.Dial(client.Options{HostPort: os.Args[1], Logger: quiet})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	queue := fmt.Sprintf("bench-overhead-go-%d", time.Now().UnixNano())
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(ActivityOverhead)
	w.RegisterActivity(Nothing)
	if err := w.Start(); err != nil {
		panic(err)
	}
	defer w.Stop()
	// A warm-up run (connections, pollers), then a pause: the server's per-shard limit on reading
	// its task queue refills in a second, as it has before the TypeScript loop.
	if _, err := run(c, queue, 5); err != nil {
		panic(err)
	}
	time.Sleep(1100 * time.Millisecond)
	elapsed, err := run(c, queue, steps)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(map[string]float64{"ms": float64(elapsed.Microseconds()) / 1000})
	fmt.Println(string(out))
}
