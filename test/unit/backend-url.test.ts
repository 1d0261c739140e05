import * as assert from "node:assert/strict";

import { fileBackendDir, fileBackendUrl } from "../../scripts/lib/stack";

describe("file backend URLs, as the Pulumi CLI parses them", () => {
    it("writes a POSIX directory as file:// and its absolute path", () => {
        assert.equal(
            fileBackendUrl("/home/u/repo/.pulumi", "linux"),
            "file:///home/u/repo/.pulumi",
        );
    });

    it("writes a Windows directory with forward slashes after file:///", () => {
        assert.equal(
            fileBackendUrl("C:\\Users\\u\\repo\\.pulumi", "win32"),
            "file:///C:/Users/u/repo/.pulumi",
        );
    });

    it("reads back the directory it wrote, on both platforms", () => {
        assert.equal(fileBackendDir(fileBackendUrl("/srv/state", "linux"), "linux"), "/srv/state");
        const win = fileBackendUrl("C:\\Users\\u\\.pulumi", "win32");
        assert.equal(fileBackendDir(win, "win32", "C:\\Users\\u", "C:\\"), "C:\\Users\\u\\.pulumi");
    });

    it("reads ~, a query string and a relative path as the CLI does", () => {
        assert.equal(fileBackendDir("file://~/.pulumi", "linux", "/home/u"), "/home/u/.pulumi");
        assert.equal(fileBackendDir("file://~", "linux", "/home/u"), "/home/u");
        assert.equal(fileBackendDir("file:///srv/state?no_tmp_dir=false", "linux"), "/srv/state");
        assert.equal(
            fileBackendDir("file://state", "linux", "/h", "/work/repo"),
            "/work/repo/state",
        );
        assert.equal(
            fileBackendDir("file://~/.pulumi", "win32", "C:\\Users\\u", "D:\\"),
            "C:\\Users\\u\\.pulumi",
        );
    });

    it("gives no directory for other backends", () => {
        assert.equal(fileBackendDir("s3://bucket?region=us-east-1", "linux"), undefined);
    });
});
