import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Starts AWS's DynamoDB Local bound to 127.0.0.1 only.
 *
 * DynamoDB Local has no option for the listen address and binds every interface; the local stack and the
 * tests must not be reachable from the network, so this launcher builds the server exactly as DynamoDB
 * Local's own command line does and narrows its connectors to the loopback address before starting it.
 * Arguments are DynamoDB Local's own (-inMemory, -port N, -disableTelemetry, ...).
 */
public final class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field f = DynamoDBProxyServer.class.getDeclaredField("server");
        f.setAccessible(true);
        Server jetty = (Server) f.get(proxy);
        for (Connector c : jetty.getConnectors()) {
            if (c instanceof ServerConnector) {
                ((ServerConnector) c).setHost("127.0.0.1");
            }
        }
        proxy.start();
        proxy.join();
    }
}
