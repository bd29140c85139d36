using System.Globalization;
using System.Net;
using Maple.Evaluation;
using Maple.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Maple.Cli.Serving;

/// <summary>
/// The HTTP face of a classifier (ASP.NET Core minimal API on Kestrel): <c>POST /classify</c> takes one image (the
/// raw file as the body, or a multipart form with a file) and answers its top classes as JSON; <c>GET /health</c>
/// says what is served; <c>GET /</c> is a page to drop an image on. Every request is checked against
/// <see cref="ServeOptions"/>' limits before its image is decoded; nothing is kept between requests.
/// </summary>
sealed class ClassifierServer : IAsyncDisposable
{
    readonly WebApplication _app;

    ClassifierServer(WebApplication app, ClassificationQueue queue, Uri address)
    {
        _app = app;
        Queue = queue;
        Address = address;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri Address { get; }

    /// <summary>Fires when the host is asked to stop (SIGTERM or Ctrl+C reach ASP.NET's console lifetime first).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>The queue in front of the classifier.</summary>
    public ClassificationQueue Queue { get; }

    /// <summary>Starts listening; the classifier stays the caller's to dispose after the server.</summary>
    /// <exception cref="UserInputException">The address cannot be bound (in use, or not this machine's).</exception>
    public static async Task<ClassifierServer> StartAsync(IImageClassifier classifier, ServeOptions options, CancellationToken cancellation = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.AddServerHeader = false;
            if (!IPAddress.TryParse(options.Host, out var ip))
                throw new UserInputException($"'{options.Host}' is not an IP address to listen on (e.g. 127.0.0.1, or 0.0.0.0 for every interface)");
            kestrel.Listen(ip, options.Port);
        });
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = options.MaxRequestBytes);
        var app = builder.Build();
        var queue = new ClassificationQueue(classifier, options.MaxBatch, options.QueueCapacity);
        var handler = new ClassifyHandler(classifier, queue, options);

        app.MapGet("/", () => Results.Content(ServePage.Html(classifier.ClassNames.Count), "text/html; charset=utf-8"));
        app.MapGet("/health", () => Results.Json(new
        {
            status = "ok",
            classifier = classifier.Description,
            classes = classifier.ClassNames.Count,
            image_size = classifier.Transform.ImageSize,
            max_batch = options.MaxBatch,
            max_request_bytes = options.MaxRequestBytes,
            max_image_pixels = options.MaxImagePixels,
        }));
        app.MapPost("/classify", (Delegate)handler.HandleAsync);

        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException ex)
        {
            await queue.DisposeAsync();
            await app.DisposeAsync();
            throw new UserInputException($"cannot listen on {options.Host}:{options.Port}: {ex.Message}", ex);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ClassifierServer(app, queue, new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/"));
    }

    /// <summary>Stops listening, lets running requests finish, stops the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Queue.DisposeAsync();
    }

    /// <summary><c>POST /classify</c>.</summary>
    sealed class ClassifyHandler(IImageClassifier classifier, ClassificationQueue queue, ServeOptions options)
    {
        public async Task<IResult> HandleAsync(HttpContext context)
        {
            var request = context.Request;
            if (!TryTop(request, out var top, out var topError))
                return Error(StatusCodes.Status400BadRequest, topError);
            if (request.ContentLength > options.MaxRequestBytes)
                return TooLarge(context);

            byte[] data;
            string name;
            try
            {
                (data, name) = await ReadImageAsync(request, context.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return TooLarge(context);
            }
            catch (InvalidDataException ex) // a form over the limit, or not a form at all
            {
                return ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                    ? TooLarge(context)
                    : Error(StatusCodes.Status400BadRequest, $"the form cannot be read: {ex.Message}");
            }
            catch (UserInputException ex)
            {
                return Error(StatusCodes.Status400BadRequest, ex.Message);
            }

            RgbImage image;
            try
            {
                image = ImageDecoder.Decode(data, name, options.MaxImagePixels);
            }
            catch (ImageDecodeException ex)
            {
                return ex.OverPixelLimit
                    ? Error(StatusCodes.Status413PayloadTooLarge, $"{ex.Message} (this server decodes at most {options.MaxImagePixels} pixels)")
                    : Error(StatusCodes.Status400BadRequest, ex.Message);
            }
            var pixels = classifier.Transform.ToChw(image);

            if (queue.TryClassify(pixels, context.RequestAborted) is not { } pending)
            {
                context.Response.Headers.RetryAfter = "1";
                return Error(StatusCodes.Status503ServiceUnavailable, $"busy: {queue.Capacity} images are already waiting; retry shortly");
            }
            var logits = await pending;
            var probabilities = Softmax(logits);
            var best = Enumerable.Range(0, logits.Length)
                .OrderByDescending(c => probabilities[c]).ThenBy(c => c)
                .Take(Math.Min(top, logits.Length))
                .Select(c => new ClassScore(c, classifier.ClassNames[c], probabilities[c]))
                .ToList();
            return Results.Json(new
            {
                top = best.Select(s => new { index = s.Index, @class = s.ClassName, probability = s.Probability, logit = logits[s.Index] }),
                image = new { width = image.Width, height = image.Height },
            });
        }

        /// <summary>The image's bytes: the body itself, or the first file of a multipart form.</summary>
        static async Task<(byte[] Data, string Name)> ReadImageAsync(HttpRequest request, CancellationToken cancellation)
        {
            // Any other body is the file itself, whatever it claims to be (curl --data-binary says form-urlencoded).
            if (request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
            {
                var form = await request.ReadFormAsync(cancellation);
                var file = form.Files.GetFile("image") ?? form.Files.FirstOrDefault()
                    ?? throw new UserInputException("the form holds no file: send the image as a file field named 'image'");
                using var memory = new MemoryStream();
                await file.CopyToAsync(memory, cancellation);
                return (memory.ToArray(), Describe(file.FileName));
            }
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, cancellation);
            return (body.ToArray(), "the uploaded image");
        }

        // A client-chosen file name goes into messages only as printable text of bounded length.
        static string Describe(string fileName)
        {
            var clean = new string(fileName.Where(c => !char.IsControl(c)).Take(100).ToArray());
            return clean.Length > 0 ? $"the uploaded image '{clean}'" : "the uploaded image";
        }

        static bool TryTop(HttpRequest request, out int top, out string error)
        {
            top = ServeOptions.DefaultTop;
            error = "";
            if (!request.Query.TryGetValue("top", out var values))
                return true;
            if (values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out top) && top >= 1)
                return true;
            error = "top must be one whole number of at least 1";
            return false;
        }

        // The rest of the body stays unread, so the connection cannot carry another request: say so, or a client
        // that reuses it sees its next request cut off.
        IResult TooLarge(HttpContext context)
        {
            context.Response.Headers.Connection = "close";
            return Error(StatusCodes.Status413PayloadTooLarge, $"the request is larger than this server's limit of {options.MaxRequestBytes} bytes");
        }

        static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

        static float[] Softmax(float[] logits)
        {
            var max = logits.Max();
            var exps = logits.Select(l => Math.Exp(l - max)).ToArray();
            var sum = exps.Sum();
            return exps.Select(e => (float)(e / sum)).ToArray();
        }
    }
}
