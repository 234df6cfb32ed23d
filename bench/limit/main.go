// stork-bench-limit: the API server's real ceiling for `make bench`.
//
// It creates the bench's objects (the same ConfigMaps, Secrets, Services, Deployments and
// ServiceAccounts as bench/run.py's make_object) with client-go, protobuf encoding, no
// client-side rate limit and a given number of requests in flight over a given number of
// connections, and prints one JSON line:
// {"objects": N, "namespaces": M, "concurrency": C, "connections": K, "seconds": S, ...}.
// Built from Go modules by hack/build-bench-limit.sh (cached under ~/.cache/stork/bench-limit/).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var kinds = []string{"ConfigMap", "Secret", "Service", "Deployment", "ServiceAccount"}

// replicas of the Deployments: 0 on a destination, as a migration leaves its copies (no
// ReplicaSet scaled up, no Pods: the kube-controller-manager's writes would load the server
// the baseline measures, where the migration causes none).
var replicas = flag.Int("replicas", 1, "replicas of each Deployment")

func meta(kind, namespace string, i int) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      fmt.Sprintf("%s-%d", strings.ToLower(kind), i),
		Namespace: namespace,
		Labels:    map[string]string{"bench": "yes", "index": fmt.Sprint(i)},
	}
}

func create(ctx context.Context, c kubernetes.Interface, kind, namespace string, i int) error {
	m := meta(kind, namespace, i)
	opts := metav1.CreateOptions{}
	var err error
	switch kind {
	case "ConfigMap":
		obj := &corev1.ConfigMap{ObjectMeta: m, Data: map[string]string{
			"value": strings.Repeat("x", 64), "n": fmt.Sprint(i)}}
		_, err = c.CoreV1().ConfigMaps(namespace).Create(ctx, obj, opts)
	case "Secret":
		token := []byte(strings.Repeat("s", 32))
		obj := &corev1.Secret{ObjectMeta: m, Data: map[string][]byte{"token": token}}
		_, err = c.CoreV1().Secrets(namespace).Create(ctx, obj, opts)
	case "Service":
		obj := &corev1.Service{ObjectMeta: m, Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": m.Name},
			Ports:    []corev1.ServicePort{{Port: 80}}}}
		_, err = c.CoreV1().Services(namespace).Create(ctx, obj, opts)
	case "ServiceAccount":
		_, err = c.CoreV1().ServiceAccounts(namespace).Create(
			ctx, &corev1.ServiceAccount{ObjectMeta: m}, opts)
	default:
		labels := map[string]string{"app": m.Name}
		count := int32(*replicas)
		obj := &appsv1.Deployment{ObjectMeta: m, Spec: appsv1.DeploymentSpec{
			Replicas: &count,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "c", Image: "nginx"}}},
			},
		}}
		_, err = c.AppsV1().Deployments(namespace).Create(ctx, obj, opts)
	}
	return err
}

// createRetrying retries what a loaded server may answer (timeouts, 429, 5xx); an object that
// a timed-out attempt created after all counts as created.
func createRetrying(ctx context.Context, c kubernetes.Interface, kind, namespace string, i int) (int, error) {
	retries := 0
	for {
		err := create(ctx, c, kind, namespace, i)
		if err == nil || (retries > 0 && apierrors.IsAlreadyExists(err)) {
			return retries, nil
		}
		transient := apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) ||
			apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err) ||
			apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
		if !transient || retries >= 20 {
			return retries, err
		}
		retries++
		time.Sleep(time.Duration(retries) * 200 * time.Millisecond)
	}
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster to create on")
	prefix := flag.String("prefix", "limit", "namespace name prefix")
	objects := flag.Int("objects", 1000, "objects to create")
	namespaces := flag.Int("namespaces", 10, "namespaces to spread them over")
	concurrency := flag.Int("concurrency", 64, "requests in flight")
	connections := flag.Int("connections", 1, "HTTP/2 connections the requests are spread over")
	flag.Parse()
	if *objects < 1 || *namespaces < 1 || *concurrency < 1 || *connections < 1 || *replicas < 0 {
		fmt.Fprintln(os.Stderr, "need -objects, -namespaces, -concurrency and -connections >= 1, -replicas >= 0")
		os.Exit(2)
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeconfig:", err)
		os.Exit(1)
	}
	config.ContentType = "application/vnd.kubernetes.protobuf"
	config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	config.QPS = -1 // no client-side rate limit: the server's own limit is measured
	// One clientset is one HTTP/2 connection, all its streams through one server loop: maybe
	// a bottleneck of its own (clusterloader2 spreads its load over several clients), so the
	// bench tries both. A dialer of its own gives each clientset its own transport (client-go
	// shares one between equal configs otherwise).
	clients := make([]kubernetes.Interface, *connections)
	for i := range clients {
		own := rest.CopyConfig(config)
		own.Dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		if clients[i], err = kubernetes.NewForConfig(own); err != nil {
			fmt.Fprintln(os.Stderr, "client:", err)
			os.Exit(1)
		}
	}
	client := clients[0]
	ctx := context.Background()
	names := make([]string, *namespaces)
	start := time.Now()
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", *prefix, i)
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: names[i]}}
		if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, "namespace:", err)
			os.Exit(1)
		}
	}
	work := make(chan int)
	var failed sync.Once
	var firstErr error
	var wg sync.WaitGroup
	var mu sync.Mutex
	retried := 0
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func(c kubernetes.Interface) {
			defer wg.Done()
			for i := range work {
				n, err := createRetrying(ctx, c, kinds[i%len(kinds)], names[i%len(names)], i)
				mu.Lock()
				retried += n
				mu.Unlock()
				if err != nil {
					failed.Do(func() { firstErr = err })
				}
			}
		}(clients[w%len(clients)])
	}
	for i := 0; i < *objects; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	seconds := time.Since(start).Seconds()
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "create:", firstErr)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]any{
		"objects":     *objects,
		"namespaces":  *namespaces,
		"concurrency": *concurrency,
		"connections": *connections,
		"seconds":     seconds,
		"retries":     retried,
	})
	fmt.Println(string(out))
}
