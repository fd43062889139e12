// Waits until a Kafka broker really serves requests: a DescribeCluster
// metadata request must return at least one live broker. Run as a single-file
// program by scripts/kafka.sh:
//   java -cp '.kafka/lib/*' scripts/kafka/Ready.java <bootstrap> <timeoutMs> [pid]
// Exit codes: 0 ready, 1 timed out, 2 the broker process (pid) exited.
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

public class Ready {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    long deadline = System.currentTimeMillis() + Long.parseLong(args[1]);
    Long pid = args.length > 2 ? Long.valueOf(args[2]) : null;
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "250");
    String lastError = "";
    try (Admin admin = Admin.create(props)) {
      do {
        if (pid != null && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          System.err.println("Broker process " + pid + " exited");
          System.exit(2);
        }
        try {
          int nodes = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
          if (nodes > 0) {
            admin.listTopics().names().get(3, TimeUnit.SECONDS);
            System.exit(0);
          }
          lastError = "cluster has no live brokers yet";
        } catch (Exception e) {
          lastError = String.valueOf(e.getCause() != null ? e.getCause() : e);
        }
        Thread.sleep(200);
      } while (System.currentTimeMillis() < deadline);
    }
    System.err.println("Broker at " + bootstrap + " not ready: " + lastError);
    System.exit(1);
  }
}
