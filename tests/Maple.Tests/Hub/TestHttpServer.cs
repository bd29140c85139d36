using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Maple.Tests.Hub;

/// <summary>One request as the test server saw it.</summary>
sealed record TestRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>What the test server sends back; <see cref="CutAfter"/> closes the connection part-way through the body.</summary>
sealed class TestResponse
{
    public int Status { get; init; } = 200;

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public byte[] Body { get; init; } = [];

    public int? CutAfter { get; init; }

    /// <summary>When set, the body goes out in 64 KiB pieces with this pause between them.</summary>
    public TimeSpan? ChunkDelay { get; init; }
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (one request per connection), written on TcpListener so a test can break a
/// response off mid-body the way a dropped connection does. It stops when disposed, or by itself after two minutes.
/// </summary>
sealed class TestHttpServer : IDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource stop = new(TimeSpan.FromMinutes(2));
    readonly ConcurrentQueue<TestRequest> requests = new();
    readonly Func<TestRequest, TestResponse> handler;
    readonly Task loop;

    public TestHttpServer(Func<TestRequest, TestResponse> handler)
    {
        this.handler = handler;
        listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The server's address, without a trailing slash.</summary>
    public string Endpoint { get; }

    public IReadOnlyList<TestRequest> Requests => [.. requests];

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        stop.Dispose();
    }

    async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var request = await ReadRequestAsync(stream);
            if (request is null)
                return;
            requests.Enqueue(request);
            var response = handler(request);
            var head = new StringBuilder($"HTTP/1.1 {response.Status} {ReasonPhrase(response.Status)}\r\n");
            foreach (var (name, value) in response.Headers)
                head.Append($"{name}: {value}\r\n");
            if (!response.Headers.ContainsKey("Content-Length"))
                head.Append($"Content-Length: {response.Body.Length}\r\n");
            head.Append("Connection: close\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), stop.Token);
            if (request.Method != "HEAD")
            {
                var count = Math.Min(response.CutAfter ?? response.Body.Length, response.Body.Length);
                const int chunk = 1 << 16;
                for (var sent = 0; sent < count; sent += chunk)
                {
                    await stream.WriteAsync(response.Body.AsMemory(sent, Math.Min(chunk, count - sent)), stop.Token);
                    if (response.ChunkDelay is { } delay)
                        await Task.Delay(delay, stop.Token);
                }
            }
            await stream.FlushAsync(stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server is stopping: nothing to answer.
        }
    }

    async Task<TestRequest?> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (buffer.Count < 65536)
        {
            if (await stream.ReadAsync(one, timeout.Token) == 0)
                return null;
            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n')
                break;
        }
        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length < 2)
            return null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).Where(l => l.Contains(':')))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new TestRequest(parts[0], parts[1], headers);
    }

    static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Status",
    };
}
