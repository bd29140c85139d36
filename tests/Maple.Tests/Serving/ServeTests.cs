using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Maple.Cli.Serving;
using Maple.Clip;
using Maple.Evaluation;
using Maple.Export;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tests.Security;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Serving;

/// <summary><c>maple serve</c> over real HTTP on 127.0.0.1: answers, batching, limits and bad uploads.</summary>
public sealed class ServeTests
{
    static readonly string[] ClassNames = ["tabby cat", "coffee cup", "astronaut"];

    static string Image(string name) => Path.Combine(Fixtures.Preprocess, "images", name);

    static ServeOptions Local(int maxBatch = 8, int queue = 64, long maxRequestBytes = ServeOptions.DefaultMaxRequestBytes, long maxPixels = ImageDecoder.DefaultMaxPixels) =>
        new("127.0.0.1", 0, maxRequestBytes, maxPixels, maxBatch, queue);

    static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, Uri address, HttpContent content, string query = "")
    {
        using var response = await http.PostAsync(new Uri(address, "classify" + query), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    static ByteArrayContent Bytes(byte[] data, string type = "application/octet-stream")
    {
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    [Fact]
    public async Task ALearnedClassifierAnswersWithMaplesProbabilities()
    {
        var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        var learner = PromptLearners.Create(PromptConfig.Maple(2, 3), clip.Model, clip.Tokenizer, seed: 7);
        using var classifier = new TorchImageClassifier(new ClipBackbone(clip), new ImageClassifier(new FeatureExtractor(clip), learner, ClassNames, templates: null));
        await using var server = await ClassifierServer.StartAsync(classifier, Local());
        Assert.Equal("127.0.0.1", server.Address.Host);
        Assert.NotEqual(0, server.Address.Port);
        using var http = new HttpClient();

        // Maple's own logits for the same image, computed without the server.
        float[] expected;
        using (no_grad())
        using (var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, ClassNames))
        using (var pixels = new EvalTransform(224).Load(Image("chelsea.png")).unsqueeze(0))
            expected = prompted.Logits(pixels).softmax(-1)[0].data<float>().ToArray();

        var (status, body) = await PostAsync(http, server.Address, Bytes(File.ReadAllBytes(Image("chelsea.png")), "image/png"), "?top=3");
        Assert.Equal(HttpStatusCode.OK, status);
        var top = body.GetProperty("top").EnumerateArray().ToList();
        Assert.Equal(3, top.Count);
        foreach (var score in top)
        {
            var index = score.GetProperty("index").GetInt32();
            Assert.Equal(ClassNames[index], score.GetProperty("class").GetString());
            Assert.Equal(expected[index], score.GetProperty("probability").GetSingle(), 5);
        }
        Assert.Equal(expected.Max(), top[0].GetProperty("probability").GetSingle(), 5);
        Assert.Equal(451, body.GetProperty("image").GetProperty("width").GetInt32());
        Assert.Equal(300, body.GetProperty("image").GetProperty("height").GetInt32());

        // The same image as a multipart form file gives the same answer; the default is the top 5 (here all 3).
        using var form = new MultipartFormDataContent { { Bytes(File.ReadAllBytes(Image("chelsea.png")), "image/png"), "image", "chelsea.png" } };
        var (formStatus, formBody) = await PostAsync(http, server.Address, form);
        Assert.Equal(HttpStatusCode.OK, formStatus);
        Assert.Equal(top.Select(t => t.GetProperty("probability").GetSingle()), formBody.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("probability").GetSingle()));

        using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri(server.Address, "health")));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        Assert.Equal(3, health.RootElement.GetProperty("classes").GetInt32());
        Assert.Equal(224, health.RootElement.GetProperty("image_size").GetInt32());
        Assert.Equal("maple on " + Fixtures.TinyMapleModel, health.RootElement.GetProperty("classifier").GetString());

        var page = await http.GetStringAsync(server.Address);
        Assert.Contains("<!DOCTYPE html>", page);
        Assert.Contains("fetch('classify?top=5'", page);
        Assert.Contains("3 classes", page);
    }

    [Fact]
    public async Task AnExportedClassifierServedByOnnxRuntimeGivesMaplesLogitsUnderConcurrentRequests()
    {
        using var scope = NewDisposeScope();
        using var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        using var learner = PromptLearners.Create(PromptConfig.Ivlp(2, 2, 3, 3), clip.Model, clip.Tokenizer, seed: 3);
        using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, ClassNames);
        using var folder = new TempFolder();
        OnnxClassifierExporter.Export(prompted, folder["c.onnx"]);
        using var classifier = OnnxImageClassifier.Open(folder["c.onnx"]);
        await using var server = await ClassifierServer.StartAsync(classifier, Local(maxBatch: 4));
        var batches = new List<int>();
        server.Queue.BatchStarting = size => { lock (batches) batches.Add(size); };
        using var http = new HttpClient();

        string[] files = ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png", "camera.png", "chelsea_q75.jpg"];
        using var _ = no_grad();
        var transform = new EvalTransform(224);
        var expected = prompted.Logits(transform.LoadBatch(files.Select(Image).ToList()));

        // 18 requests at once, three of each image: every answer is its own image's.
        var requests = Enumerable.Range(0, 18).Select(i => files[i % files.Length])
            .Select(async file => (file, await PostAsync(http, server.Address, Bytes(File.ReadAllBytes(Image(file))), "?top=3"))).ToList();
        foreach (var (file, (status, body)) in await Task.WhenAll(requests))
        {
            Assert.Equal(HttpStatusCode.OK, status);
            var row = expected[Array.IndexOf(files, file)];
            foreach (var score in body.GetProperty("top").EnumerateArray())
            {
                var want = row[score.GetProperty("index").GetInt32()].item<float>();
                Assert.True(Math.Abs(score.GetProperty("logit").GetSingle() - want) <= 1e-4 * row.abs().max().item<float>(), $"{file}: logit {score} vs {want}");
            }
        }
        Assert.Equal(18, batches.Sum());
        Assert.All(batches, size => Assert.InRange(size, 1, 4));
    }

    [Fact]
    public async Task WaitingRequestsShareABatchAndAFullQueueAnswers503()
    {
        using var classifier = new GatedClassifier();
        await using var server = await ClassifierServer.StartAsync(classifier, Local(maxBatch: 4, queue: 6));
        var batches = new List<int>();
        server.Queue.BatchStarting = size => { lock (batches) batches.Add(size); };
        using var http = new HttpClient();
        byte[][] images = [File.ReadAllBytes(Image("chelsea.png")), File.ReadAllBytes(Image("coffee.png")), File.ReadAllBytes(Image("rocket.jpg"))];

        // The first request holds the worker; five more queue up behind it.
        var first = PostAsync(http, server.Address, Bytes(images[0]));
        await WaitUntil(() => classifier.Calls == 1);
        var waiting = Enumerable.Range(1, 5).Select(i => PostAsync(http, server.Address, Bytes(images[i % 3]))).ToList();
        await WaitUntil(() => server.Queue.Pending == 6);

        // The queue holds 6: a seventh is refused at once, without waiting.
        var (status, body) = await PostAsync(http, server.Address, Bytes(images[0]));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("busy", body.GetProperty("error").GetString());

        classifier.Release();
        var answers = await Task.WhenAll([first, .. waiting]);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal([1, 4, 1], batches);
        // The gated classifier's logit for class c is the mean of channel c: each answer is its own image's.
        for (var i = 0; i < answers.Length; i++)
        {
            var expected = GatedClassifier.ChannelMeans(new EvalTransform(224).ToChw(ImageDecoder.Decode(images[i % 3], "test")));
            var best = answers[i].Body.GetProperty("top")[0];
            Assert.Equal(expected.Max(), best.GetProperty("logit").GetSingle(), 5);
        }
    }

    [Fact]
    public async Task BadUploadsAreRefusedWithTheReasonAndTheServerGoesOn()
    {
        using var classifier = new GatedClassifier(gated: false);
        await using var server = await ClassifierServer.StartAsync(classifier, Local(maxRequestBytes: 200_000, maxPixels: 100_000));
        using var http = new HttpClient();
        var png = File.ReadAllBytes(Image("chelsea_q75.jpg")); // 20 KB, 451 x 300 = 135,300 pixels

        async Task Refused(HttpContent content, HttpStatusCode expected, string words, string query = "")
        {
            var (status, body) = await PostAsync(http, server.Address, content, query);
            Assert.Equal(expected, status);
            Assert.Contains(words, body.GetProperty("error").GetString());
        }

        await Refused(Bytes([]), HttpStatusCode.BadRequest, "empty");
        await Refused(Bytes("not an image at all"u8.ToArray()), HttpStatusCode.BadRequest, "not a recognised image format");
        await Refused(Bytes(File.ReadAllBytes(Image("small_100x80.png"))[..2000]), HttpStatusCode.BadRequest, "uploaded image"); // truncated
        await Refused(Bytes(png), HttpStatusCode.RequestEntityTooLarge, "pixels"); // over the pixel limit, inside the byte limit
        await Refused(Bytes(HostileImageTests.ZeroPng(5_000, 5_000)), HttpStatusCode.RequestEntityTooLarge, "pixels"); // a small file declaring 2.5e7 pixels
        // A body announced as too large is refused before any of it is read (the client waits, as Expect: 100-continue asks).
        using (var announced = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "classify")) { Content = Bytes(new byte[300_000]) })
        {
            announced.Headers.ExpectContinue = true;
            using var response = await http.SendAsync(announced);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("200000 bytes", await response.Content.ReadAsStringAsync());
        }
        // A chunked body (no length announced) is read up to the limit only: the answer is 413, unless the server
        // closes the connection while the client is still sending.
        try
        {
            var (status, body) = await PostAsync(http, server.Address, new StreamContent(new MemoryStream(new byte[300_000])));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
            Assert.Contains("200000 bytes", body.GetProperty("error").GetString());
        }
        catch (HttpRequestException)
        {
        }
        using (var noFile = new MultipartFormDataContent { { new StringContent("x"), "note" } })
            await Refused(noFile, HttpStatusCode.BadRequest, "no file");
        await Refused(Bytes(png), HttpStatusCode.BadRequest, "top", "?top=zero");
        await Refused(Bytes(png), HttpStatusCode.BadRequest, "top", "?top=0");
        using (var get = await http.GetAsync(new Uri(server.Address, "classify")))
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);

        var small = File.ReadAllBytes(Image("small_100x80.png"));
        var (okStatus, okBody) = await PostAsync(http, server.Address, Bytes(small), "?top=2");
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal(2, okBody.GetProperty("top").GetArrayLength());
    }

    [Fact]
    public async Task OnnxFilesThatAreNotMapleClassifiersAreRefused()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["junk.onnx"], "not a model");
        var junk = Assert.Throws<InvalidDataException>(() => OnnxImageClassifier.Open(folder["junk.onnx"]));
        Assert.Contains("not a valid ONNX model", junk.Message);

        using var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        using var learner = PromptLearners.Create(PromptConfig.ZeroShot(), clip.Model, clip.Tokenizer, seed: 0);
        using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, ClassNames);
        var model = OnnxClassifierExporter.Build(prompted);
        void Write(string name, Action<Onnx.ModelProto> change)
        {
            var copy = model.Clone();
            change(copy);
            File.WriteAllBytes(folder[name], Google.Protobuf.MessageExtensions.ToByteArray(copy));
        }
        Write("no-classes.onnx", m => m.MetadataProps.Remove(m.MetadataProps.Single(p => p.Key == "class_names")));
        Write("bad-classes.onnx", m => m.MetadataProps.Single(p => p.Key == "class_names").Value = "{\"a\": 1}");
        Write("wrong-count.onnx", m => m.MetadataProps.Single(p => p.Key == "class_names").Value = "[\"a\", \"b\"]");
        Write("bad-std.onnx", m => m.MetadataProps.Single(p => p.Key == "std").Value = "[0, 1, 1]");
        Write("huge-size.onnx", m => m.MetadataProps.Single(p => p.Key == "image_size").Value = "99999999");

        Assert.Contains("no 'class_names'", Assert.Throws<InvalidDataException>(() => OnnxImageClassifier.Open(folder["no-classes.onnx"])).Message);
        Assert.Contains("'class_names' is not valid JSON", Assert.Throws<InvalidDataException>(() => OnnxImageClassifier.Open(folder["bad-classes.onnx"])).Message);
        Assert.Contains("does not match its metadata", Assert.Throws<InvalidDataException>(() => OnnxImageClassifier.Open(folder["wrong-count.onnx"])).Message);
        Assert.Contains("std positive", Assert.Throws<InvalidDataException>(() => OnnxImageClassifier.Open(folder["bad-std.onnx"])).Message);
        Assert.Contains("image size", Assert.Throws<InvalidDataException>(() => OnnxImageClassifier.Open(folder["huge-size.onnx"])).Message);
    }

    static async Task WaitUntil(Func<bool> condition)
    {
        // Bounded: a broken queue fails the test instead of hanging it.
        for (var i = 0; i < 3000 && !condition(); i++)
            await Task.Delay(10);
        Assert.True(condition(), "the server never reached the expected state");
    }

    /// <summary>
    /// A classifier whose logit for class c is the mean of the image's channel c, and whose first call waits for
    /// <see cref="Release"/> (so that requests queue up behind it).
    /// </summary>
    sealed class GatedClassifier(bool gated = true) : IImageClassifier
    {
        readonly SemaphoreSlim _gate = new(gated ? 0 : 1);
        int _calls;

        public IReadOnlyList<string> ClassNames => ["red", "green", "blue"];

        public EvalTransform Transform { get; } = new(224);

        public string Description => "channel means";

        public int Calls => Volatile.Read(ref _calls);

        public void Release() => _gate.Release();

        public float[] Logits(float[] pixels, int count)
        {
            if (Interlocked.Increment(ref _calls) == 1)
                _gate.Wait();
            var size = pixels.Length / count;
            return Enumerable.Range(0, count).SelectMany(i => ChannelMeans(pixels.AsSpan(i * size, size).ToArray())).ToArray();
        }

        public static float[] ChannelMeans(float[] chw)
        {
            var plane = chw.Length / 3;
            return Enumerable.Range(0, 3).Select(c => (float)chw.AsSpan(c * plane, plane).ToArray().Average()).ToArray();
        }

        public void Dispose() => _gate.Dispose();
    }
}
