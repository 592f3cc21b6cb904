package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/source/cluster"
)

func main() {
	kc, _ := os.ReadFile("/tmp/p5-kubeconfig-path")
	cfg, err := clientcmd.BuildConfigFromFlags("", string(kc))
	if err != nil {
		panic(err)
	}
	for i := 0; i < 2; i++ {
		t0 := time.Now()
		res, err := cluster.Load(context.Background(), cfg, cluster.Options{Name: "x"})
		if err != nil {
			panic(err)
		}
		t1 := time.Now()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("load: %v, %d objects, heap %d MB\n", t1.Sub(t0), len(res.Objects), ms.HeapAlloc>>20)
		sel, _ := engine.Select(rules.All(), &config.Config{})
		set := object.NewSet(res.Objects)
		r := engine.Run(set, engine.Options{Rules: sel, RuleOptions: rule.Options{PSSLevel: "restricted", PSSVersion: "latest", Complete: true}})
		t2 := time.Now()
		runtime.ReadMemStats(&ms)
		fmt.Printf("engine: %v, %d findings, heap %d MB\n", t2.Sub(t1), len(r.Findings), ms.HeapAlloc>>20)
		runtime.GC()
		f, _ := os.Create(fmt.Sprintf("/tmp/p5-heap%d.prof", i))
		pprof.WriteHeapProfile(f)
		f.Close()
		runtime.KeepAlive(r)
		runtime.KeepAlive(set)
	}
}
