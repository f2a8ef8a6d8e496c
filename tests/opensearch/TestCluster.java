import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A real two-node OpenSearch cluster in one JVM, for vnsearch's tests.
 *
 * <p>Usage: {@code java -cp ... TestCluster WORKDIR}. Node 1 is the cluster manager, node 2
 * holds data only, so stopping node 2 leaves a working (yellow) cluster. Both serve HTTP on
 * 127.0.0.1 at free ports, written with a control port to {@code WORKDIR/cluster.json} once
 * both nodes have started. The control port takes one line per connection: {@code stop N},
 * {@code start N} or {@code shutdown}, and answers {@code ok} or an error.
 */
public final class TestCluster {
    private static final int NODES = 2;
    private static final List<Class<? extends Plugin>> PLUGINS = List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);

    private final Path workdir;
    private final int[] httpPorts = new int[NODES];
    private final int[] transportPorts = new int[NODES];
    private final Node[] nodes = new Node[NODES];

    /** A node built from settings and classpath plugins (Node's own constructor is protected). */
    private static final class EmbeddedNode extends Node {
        EmbeddedNode(Settings settings, Collection<Class<? extends Plugin>> plugins) {
            super(InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> settings.get("node.name")), plugins, false);
        }

        @Override
        protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
            // The log pattern's node id is set once per JVM; two nodes would both set it.
        }
    }

    private TestCluster(Path workdir) throws Exception {
        this.workdir = workdir;
        for (int i = 0; i < NODES; i++) {
            httpPorts[i] = freePort();
            transportPorts[i] = freePort();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private Settings settings(int i) {
        List<String> seeds = new ArrayList<>();
        for (int port : transportPorts) {
            seeds.add("127.0.0.1:" + port);
        }
        Settings.Builder builder = Settings.builder()
            .put("cluster.name", "vnsearch-test")
            .put("node.name", "node-" + (i + 1))
            .put("path.home", workdir.resolve("node-" + (i + 1)).toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPorts[i])
            .put("transport.port", transportPorts[i])
            .putList("discovery.seed_hosts", seeds)
            .putList("cluster.initial_cluster_manager_nodes", "node-1")
            // The test machine's disk may be fuller than the default watermarks allow.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", false);
        if (i == 0) {
            builder.putList("node.roles", "cluster_manager", "data", "ingest");
        } else {
            builder.putList("node.roles", "data", "ingest");
        }
        return builder.build();
    }

    private synchronized void start(int i) throws Exception {
        if (nodes[i] != null) {
            return;
        }
        Node node = new EmbeddedNode(settings(i), PLUGINS);
        node.start();
        nodes[i] = node;
    }

    private synchronized void stop(int i) throws Exception {
        Node node = nodes[i];
        nodes[i] = null;
        if (node != null) {
            node.close();
            node.awaitClose(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private void writeInfo(int controlPort) throws Exception {
        StringBuilder json = new StringBuilder("{\"nodes\": [");
        for (int i = 0; i < NODES; i++) {
            json.append(i > 0 ? ", " : "").append("\"http://127.0.0.1:").append(httpPorts[i]).append('"');
        }
        json.append("], \"control\": ").append(controlPort).append("}\n");
        Path tmp = workdir.resolve("cluster.json.tmp");
        Files.writeString(tmp, json.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, workdir.resolve("cluster.json"), StandardCopyOption.ATOMIC_MOVE);
    }

    private void serve(ServerSocket control) throws Exception {
        while (true) {
            try (Socket socket = control.accept();
                 BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8)) {
                String line = in.readLine();
                String[] words = line == null ? new String[0] : line.trim().split("\\s+");
                try {
                    if (words.length == 1 && words[0].equals("shutdown")) {
                        for (int i = NODES - 1; i >= 0; i--) {
                            stop(i);
                        }
                        out.println("ok");
                        return;
                    } else if (words.length == 2 && (words[0].equals("stop") || words[0].equals("start"))) {
                        int i = Integer.parseInt(words[1]) - 1;
                        if (i < 0 || i >= NODES) {
                            throw new IllegalArgumentException("no node " + words[1]);
                        }
                        if (words[0].equals("stop")) {
                            stop(i);
                        } else {
                            start(i);
                        }
                        out.println("ok");
                    } else {
                        out.println("error: expected 'stop N', 'start N' or 'shutdown'");
                    }
                } catch (Exception e) {
                    out.println("error: " + e);
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: TestCluster WORKDIR");
            System.exit(2);
        }
        TestCluster cluster = new TestCluster(Path.of(args[0]).toAbsolutePath());
        try (ServerSocket control = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < NODES; i++) {
                cluster.start(i);
            }
            cluster.writeInfo(control.getLocalPort());
            cluster.serve(control);
        } finally {
            for (int i = NODES - 1; i >= 0; i--) {
                cluster.stop(i);
            }
        }
        System.exit(0);
    }
}
