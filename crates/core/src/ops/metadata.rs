//! UpdateKeyDescription, TagResource, UntagResource, ListResourceTags.

use super::keys::{check_tags, MAX_TAGS};
use super::{check_not_pending_deletion, marker, page_size};
use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::KeyRecord;
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::ops::*;
use trent_api::Operation;

impl Kms {
    /// Reads a key (key id or ARN), applies `change` and stores it with the
    /// call's audit event, retrying from a fresh read when another writer got
    /// there first.
    pub(crate) async fn modify_key<T>(
        &self,
        caller: &Caller,
        key_ref: Option<&str>,
        access: &Access,
        change: impl FnMut(&mut KeyRecord) -> Result<T, KmsError>,
    ) -> Result<(KeyRecord, T), KmsError> {
        self.modify_key_answering(caller, key_ref, access, change, |_, _| None::<Empty>).await
    }

    /// [`Kms::modify_key`] for a call whose event carries
    /// `responseElements`: `answer` gives the response from the changed key.
    pub(crate) async fn modify_key_answering<T, R: serde::Serialize>(
        &self,
        caller: &Caller,
        key_ref: Option<&str>,
        access: &Access,
        mut change: impl FnMut(&mut KeyRecord) -> Result<T, KmsError>,
        answer: impl Fn(&KeyRecord, &T) -> Option<R>,
    ) -> Result<(KeyRecord, T), KmsError> {
        loop {
            let mut key = self.resolve_key(caller, key_ref.unwrap_or_default(), Names::KeyOnly, access).await?;
            let out = change(&mut key)?;
            key.revision += 1;
            let events = match answer(&key, &out) {
                Some(response) => self.events_answering(caller, &response),
                None => self.events(caller),
            };
            match Self::commit_events(caller, events, async |events| self.store.update_key(&key, events).await).await {
                Ok(()) => return Ok((key, out)),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// UpdateKeyDescription.
    pub async fn update_key_description(
        &self,
        caller: &Caller,
        req: UpdateKeyDescriptionRequest,
    ) -> Result<Empty, KmsError> {
        let description = req.description.unwrap_or_default();
        self.modify_key(caller, req.key_id.as_deref(), &Access::new(Operation::UpdateKeyDescription), |key| {
            check_not_pending_deletion(key)?;
            key.description.clone_from(&description);
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }

    /// TagResource: adds tags, replacing the value of a key already present.
    pub async fn tag_resource(&self, caller: &Caller, req: TagResourceRequest) -> Result<Empty, KmsError> {
        let new = check_tags(req.tags.unwrap_or_default())?;
        let access = Access::new(Operation::TagResource).request_tags(&new);
        self.modify_key(caller, req.key_id.as_deref(), &access, |key| {
            check_not_pending_deletion(key)?;
            let mut tags = key.tags.clone();
            for (k, v) in &new {
                match tags.iter_mut().find(|(x, _)| x == k) {
                    Some(slot) => slot.1.clone_from(v),
                    None => tags.push((k.clone(), v.clone())),
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(KmsError::LimitExceeded("Too many tags".into()));
            }
            key.tags = tags;
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }

    /// UntagResource: removes the named tags; absent names are ignored.
    pub async fn untag_resource(&self, caller: &Caller, req: UntagResourceRequest) -> Result<Empty, KmsError> {
        let names = req.tag_keys.unwrap_or_default();
        let access = Access::new(Operation::UntagResource).with_all("aws:TagKeys", names.clone());
        self.modify_key(caller, req.key_id.as_deref(), &access, |key| {
            check_not_pending_deletion(key)?;
            key.tags.retain(|(k, _)| !names.contains(k));
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }

    /// ListResourceTags: tags in the order they were added.
    pub async fn list_resource_tags(
        &self,
        caller: &Caller,
        req: ListResourceTagsRequest,
    ) -> Result<ListResourceTagsResponse, KmsError> {
        let access = Access::new(Operation::ListResourceTags);
        let key = self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        let start = marker(req.marker.as_deref(), |m| m.parse::<usize>().ok())?.unwrap_or(0);
        let limit = page_size(req.limit, 50, 50);
        let page: Vec<Tag> = key
            .tags
            .iter()
            .skip(start)
            .take(limit)
            .map(|(k, v)| Tag { tag_key: Some(k.clone()), tag_value: Some(v.clone()) })
            .collect();
        let end = start.saturating_add(page.len());
        let truncated = end < key.tags.len();
        Ok(ListResourceTagsResponse { tags: page, next_marker: truncated.then(|| end.to_string()), truncated })
    }
}
