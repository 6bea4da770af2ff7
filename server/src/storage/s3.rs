//! S3 and S3-compatible services (AWS, MinIO, Garage, R2…) through `aws-sdk-s3`.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use futures_util::{StreamExt, TryStreamExt};

use super::s3_stream::{StreamingUpload, file_range, upload_part};
use super::{ByteRange, ObjectReader, StorageError};

/// Multipart parts in flight at once.
pub(super) const PARALLEL_PARTS: usize = 4;

/// How to reach the bucket. Credentials come from the standard AWS chain.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub endpoint: Option<String>,
    pub public_endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub path_style: bool,
    pub part_size: u64,
}

#[derive(Debug, Clone)]
pub struct S3Store {
    pub(super) client: Client,
    /// Signs URLs for browsers, against the public endpoint when there is one.
    presigner: Client,
    pub(super) bucket: String,
    pub(super) part_size: u64,
}

impl S3Store {
    pub async fn connect(settings: S3Settings) -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(settings.region.clone()))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .read_timeout(Duration::from_secs(60))
                    .build(),
            )
            .load()
            .await;
        let build = |endpoint: Option<&String>| {
            let mut config = aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(settings.path_style)
                // Checksums only where S3 requires them: MinIO, Garage, R2 and older gateways
                // reject the newer default trailers.
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
            if let Some(endpoint) = endpoint {
                config = config.endpoint_url(endpoint);
            }
            Client::from_conf(config.build())
        };
        let client = build(settings.endpoint.as_ref());
        let presigner = build(settings.public_endpoint.as_ref().or(settings.endpoint.as_ref()));
        Self {
            client,
            presigner,
            bucket: settings.bucket,
            part_size: settings.part_size.max(5 << 20),
        }
    }

    /// One PUT below the part size; a multipart upload above it, aborted if anything fails or
    /// the caller goes away mid-way.
    pub async fn put_file(&self, key: &str, path: &Path, size: u64, content_type: &str) -> Result<(), StorageError> {
        if size < self.part_size {
            let body = file_range(path, 0, size).await?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .content_length(size as i64)
                .body(body)
                .send()
                .await
                .map_err(classify)?;
            return Ok(());
        }
        let (upload_id, guard) = self.create_multipart(key, content_type).await?;
        // Parts go up several at a time: S3 (and every compatible server) scales with parallel
        // connections, and each part streams from its own slice of the staged file.
        let ranges: Vec<(i32, u64, u64)> = (0..size.div_ceil(self.part_size))
            .map(|i| {
                let offset = i * self.part_size;
                (i as i32 + 1, offset, self.part_size.min(size - offset))
            })
            .collect();
        let parts: Vec<CompletedPart> = futures_util::stream::iter(ranges)
            .map(|(number, offset, len)| self.upload_part(key, &upload_id, path, number, offset, len))
            .buffered(PARALLEL_PARTS)
            .try_collect()
            .await?;
        self.complete_multipart(key, &upload_id, parts).await?;
        guard.disarm();
        Ok(())
    }

    /// One PUT of bytes in memory (a small object).
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(bytes.len() as i64)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Completes a multipart upload from its parts: the object appears whole.
    pub(super) async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<CompletedPart>,
    ) -> Result<(), StorageError> {
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Starts a multipart upload; the guard aborts it unless disarmed.
    pub(super) async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<(String, AbortOnDrop), StorageError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(classify)?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| StorageError::Other("S3 returned no upload id".into()))?
            .to_owned();
        let guard = AbortOnDrop::new(self, key, &upload_id);
        Ok((upload_id, guard))
    }

    /// A multipart upload fed while the body arrives (see [`StreamingUpload`]), for bodies of
    /// `declared` bytes that span more than two parts; `None` for smaller ones.
    pub async fn begin_streaming(
        &self,
        key: &str,
        content_type: &str,
        staged: std::path::PathBuf,
        declared: u64,
    ) -> Result<Option<StreamingUpload>, StorageError> {
        if declared <= 2 * self.part_size {
            return Ok(None);
        }
        StreamingUpload::begin(self, key, content_type, staged, declared)
            .await
            .map(Some)
    }

    pub(super) async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        path: &Path,
        number: i32,
        offset: u64,
        len: u64,
    ) -> Result<CompletedPart, StorageError> {
        let body = file_range(path, offset, len).await?;
        upload_part(self, key, upload_id, number, body, len).await
    }

    pub async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ObjectReader, StorageError> {
        let mut request = self.client.get_object().bucket(&self.bucket).key(key);
        if let Some(r) = range {
            request = request.range(format!("bytes={}-{}", r.first, r.last));
        }
        let output = request.send().await.map_err(classify)?;
        Ok(Box::pin(output.body.into_async_read()))
    }

    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(classify)
            .map(|_| ())
            .or_else(|e| {
                if matches!(e, StorageError::NotFound) {
                    Ok(())
                } else {
                    Err(e)
                }
            })
    }

    pub async fn presigned_get(&self, key: &str, ttl: Duration, content_type: &str) -> Result<String, StorageError> {
        let config = PresigningConfig::expires_in(ttl).map_err(|e| StorageError::Other(e.to_string()))?;
        let request = self
            .presigner
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(content_type)
            .presigned(config)
            .await
            .map_err(classify)?;
        Ok(request.uri().to_owned())
    }

    pub async fn check_ready(&self) -> Result<(), StorageError> {
        match self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(()),
            Err(StorageError::NotFound) => Err(StorageError::Other(format!("bucket {:?} does not exist", self.bucket))),
            Err(other) => Err(other),
        }
    }
}

/// Aborts an unfinished multipart upload when dropped (an error, or the request cancelled), so
/// no parts are left behind to be billed for.
#[derive(Debug)]
pub(super) struct AbortOnDrop {
    client: Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl AbortOnDrop {
    pub(super) fn new(store: &S3Store, key: &str, upload_id: &str) -> Self {
        Self {
            client: store.client.clone(),
            bucket: store.bucket.clone(),
            key: key.to_owned(),
            upload_id: Some(upload_id.to_owned()),
        }
    }

    /// The upload completed: nothing to abort.
    pub(super) fn disarm(mut self) {
        self.upload_id = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        let request = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = request.send().await {
                    tracing::warn!("could not abort a multipart upload: {err}");
                }
            });
        }
    }
}

/// Not found, unreachable, or something else.
pub(super) fn classify<E>(err: SdkError<E, HttpResponse>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => StorageError::Unavailable(err.to_string()),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            let status = service.raw().status().as_u16();
            if code == "NoSuchBucket" {
                StorageError::Other("the bucket does not exist".into())
            } else if matches!(code, "NoSuchKey" | "NotFound") || status == 404 {
                StorageError::NotFound
            } else if status >= 500 || matches!(code, "SlowDown" | "ServiceUnavailable" | "InternalError") {
                StorageError::Unavailable(code.to_owned())
            } else {
                StorageError::Other(format!("{code}: {}", service.err().message().unwrap_or_default()))
            }
        }
        _ => StorageError::Other(err.to_string()),
    }
}
